/// A FIFO async mutex: one holder at a time, waiters resumed in arrival order.
///
/// The catalog uses it to give a transaction its connection to itself: SQL
/// statements of another task must not land inside someone else's BEGIN…COMMIT.
actor AsyncGate {
    private var held = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func enter() async {
        guard held else { held = true; return }
        await withCheckedContinuation { waiters.append($0) }
    }

    func leave() {
        if waiters.isEmpty { held = false } else { waiters.removeFirst().resume() }
    }
}
