#if canImport(Glibc)
import Glibc
#endif

/// A TCP connection read and written with blocking system calls, from a thread of its own
/// (see ``SocketResponse``). Every wait is bounded by the timeout given at connect time.
final class BlockingSocket: @unchecked Sendable {
    private let fd: Int32

    private init(fd: Int32) {
        self.fd = fd
    }

    deinit {
        close(fd)
    }

    /// Connects to `host`:`port`, trying each address the name resolves to.
    static func connect(host: String, port: Int, timeout: Duration) throws(SocketError) -> BlockingSocket {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_protocol = Int32(IPPROTO_TCP)
        var list: UnsafeMutablePointer<addrinfo>?
        let resolved = getaddrinfo(host, String(port), &hints, &list)
        guard resolved == 0, let list else {
            throw .failed("cannot resolve \(host): \(String(cString: gai_strerror(resolved)))")
        }
        defer { freeaddrinfo(list) }
        var failure = SocketError.failed("cannot connect to \(host):\(port)")
        var candidate: UnsafeMutablePointer<addrinfo>? = list
        while let info = candidate {
            candidate = info.pointee.ai_next
            do {
                return try connect(info.pointee, timeout: timeout, name: "\(host):\(port)")
            } catch {
                failure = error
            }
        }
        throw failure
    }

    private static func connect(_ info: addrinfo, timeout: Duration, name: String) throws(SocketError) -> BlockingSocket {
        let fd = socket(info.ai_family, info.ai_socktype | Int32(SOCK_CLOEXEC.rawValue), info.ai_protocol)
        guard fd >= 0 else { throw .failed("cannot open a socket: \(String(cString: strerror(errno)))") }
        let socket = BlockingSocket(fd: fd)
        // Non-blocking while connecting, so that the wait has a bound.
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
        if Glibc.connect(fd, info.ai_addr, info.ai_addrlen) != 0 {
            guard errno == EINPROGRESS else { throw .failed("cannot connect to \(name): \(String(cString: strerror(errno)))") }
            var poller = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            let ready = poll(&poller, 1, Int32(clamping: timeout.milliseconds))
            guard ready > 0 else { throw .failed("no answer from \(name) in time (is the server running at that address?)") }
            var code: Int32 = 0
            var size = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &code, &size)
            guard code == 0 else { throw .failed("cannot connect to \(name): \(String(cString: strerror(code)))") }
        }
        _ = fcntl(fd, F_SETFL, flags)
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var wait = timeval(tv_sec: Int(timeout.components.seconds), tv_usec: Int(timeout.components.attoseconds / 1_000_000_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &wait, socklen_t(MemoryLayout<timeval>.size))
        return socket
    }

    /// Sends all of `bytes`.
    func send(_ bytes: UnsafeRawBufferPointer) throws(SocketError) {
        var sent = 0
        while sent < bytes.count {
            let n = Glibc.send(fd, bytes.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL))
            if n > 0 {
                sent += n
            } else if n < 0 && errno == EINTR {
                continue
            } else {
                throw Self.failure("cannot send the request", errno)
            }
        }
    }

    /// Reads into `buffer`: the count read, 0 at the connection's end, nil if `wait` is false
    /// and nothing has arrived.
    func receive(into buffer: UnsafeMutableRawBufferPointer, wait: Bool = true) throws(SocketError) -> Int? {
        while true {
            let n = recv(fd, buffer.baseAddress, buffer.count, wait ? 0 : Int32(MSG_DONTWAIT))
            if n >= 0 { return n }
            switch errno {
            case EINTR: continue
            case EAGAIN where !wait: return nil
            default: throw Self.failure("the connection failed", errno)
            }
        }
    }

    /// Ends both directions: a read or write blocked on the socket returns at once.
    func shutdown() {
        _ = Glibc.shutdown(fd, Int32(SHUT_RDWR))
    }

    private static func failure(_ what: String, _ code: Int32) -> SocketError {
        // A receive timeout (SO_RCVTIMEO) reports EAGAIN.
        if code == EAGAIN || code == ETIMEDOUT { return .failed("no answer in time (is the server running at that address?)") }
        return .failed("\(what): \(String(cString: strerror(code)))")
    }
}

struct SocketError: Error, Equatable, CustomStringConvertible {
    let description: String

    static func failed(_ message: String) -> SocketError { SocketError(description: message) }
}

extension Duration {
    fileprivate var milliseconds: Int64 {
        components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
    }
}
