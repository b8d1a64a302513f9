import ContentStore

/// Hands freed memory back to the system after a large request. glibc otherwise keeps
/// in its arenas what a 100,000-file commit freed (about 100 MB), and the server's
/// resident size stays at its peak long after.
enum MemoryRelease {
    /// Requests below this size leave too little behind to be worth a walk of the arenas.
    static let threshold = 8 << 20

    static func afterRequest(ofSize bytes: Int) {
        if bytes >= threshold { MallocTuning.releaseFreeMemory() }
    }
}
