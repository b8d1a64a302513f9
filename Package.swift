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
    ],
    targets: [
        // System libraries.
        .systemLibrary(
            name: "CCrypto",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        .systemLibrary(
            name: "CArchive",
            pkgConfig: "libarchive",
            providers: [.apt(["libarchive-dev"])]
        ),

        // Libraries, lowest first.
        .target(name: "Ledger"),
        .target(name: "SyncProtocol"),
        .target(
            name: "ContentStore",
            dependencies: [
                "CCrypto",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "Catalog",
            dependencies: [
                "ContentStore",
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
            dependencies: ["SyncProtocol", "ContentStore"]
        ),
        .target(
            name: "FollowUpServer",
            dependencies: [
                "Catalog", "ContentStore", "Ledger", "SyncProtocol", "ArchiveIO",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Configuration", package: "swift-configuration"),
            ]
        ),
        .executableTarget(
            name: "followup",
            dependencies: [
                "FollowUpServer", "SyncClient", "ContentStore", "Catalog",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // One test target per library.
        .testTarget(name: "LedgerTests", dependencies: ["Ledger"]),
        .testTarget(name: "SyncProtocolTests", dependencies: ["SyncProtocol"]),
        .testTarget(name: "ContentStoreTests", dependencies: ["ContentStore"]),
        .testTarget(name: "CatalogTests", dependencies: ["Catalog", "ContentStore"]),
        .testTarget(name: "ArchiveIOTests", dependencies: ["ArchiveIO"]),
        .testTarget(name: "SyncClientTests", dependencies: ["SyncClient"]),
        .testTarget(name: "FollowUpServerTests", dependencies: ["FollowUpServer", "Catalog", "ContentStore"]),
    ],
    swiftLanguageModes: [.v6]
)
