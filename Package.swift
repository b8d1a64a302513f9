// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "followup",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "followup", targets: ["followup"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-configuration", from: "1.4.0", traits: [.defaults, "YAML"]),
        .package(url: "https://github.com/vapor/sql-kit", from: "3.36.0"),
        .package(url: "https://github.com/vapor/sqlite-kit", from: "4.5.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
    ],
    targets: [
        // System libraries.
        .systemLibrary(
            name: "CCrypto",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        .systemLibrary(
            name: "CArchive",
            pkgConfig: "libarchive",
            providers: [.apt(["libarchive-dev"])]
        ),

        // The chunker's gear scan and multi-message SHA-256 (x86 SHA extensions), in C
        // for the intrinsics Swift cannot call.
        .target(name: "CChunkKernel"),

        // Libraries, lowest first.
        .target(name: "Ledger"),
        .target(name: "SyncProtocol", dependencies: ["CZlib"]),
        .target(
            name: "ContentStore",
            dependencies: [
                "CCrypto", "CChunkKernel",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "Catalog",
            dependencies: [
                "ContentStore", "Ledger",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "SQLiteKit", package: "sqlite-kit"),
            ]
        ),
        .target(
            name: "ArchiveIO",
            dependencies: ["CArchive"]
        ),
        .target(
            name: "SyncClient",
            dependencies: [
                "SyncProtocol", "ContentStore", "ArchiveIO",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "FollowUpServer",
            dependencies: [
                "Catalog", "ContentStore", "Ledger", "SyncProtocol", "ArchiveIO",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .executableTarget(
            name: "followup",
            dependencies: [
                "FollowUpServer", "SyncClient", "SyncProtocol", "ContentStore", "Catalog", "Ledger",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // One test target per library.
        .testTarget(
            name: "LedgerTests",
            dependencies: ["Ledger", .product(name: "PropertyBased", package: "swift-property-based")]
        ),
        .testTarget(name: "SyncProtocolTests", dependencies: ["SyncProtocol"]),
        .testTarget(name: "ContentStoreTests", dependencies: ["ContentStore"]),
        .testTarget(name: "CatalogTests", dependencies: ["Catalog", "ContentStore", "Ledger"]),
        .testTarget(name: "ArchiveIOTests", dependencies: ["ArchiveIO"]),
        .testTarget(name: "SyncClientTests", dependencies: ["SyncClient", "FollowUpServer"]),
        .testTarget(
            name: "FollowUpServerTests",
            dependencies: [
                "FollowUpServer", "Catalog", "ContentStore", "SyncProtocol",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
