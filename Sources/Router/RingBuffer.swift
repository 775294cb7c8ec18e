/// A double-ended FIFO over a growable circular array: O(1) at both ends, no shifting.
@usableFromInline
struct RingBuffer<Element: Sendable>: Sendable {
    @usableFromInline var storage: [Element?]
    @usableFromInline var head: Int
    @usableFromInline var count: Int

    @inlinable
    init() {
        storage = []
        head = 0
        count = 0
    }

    @inlinable var isEmpty: Bool { count == 0 }

    @inlinable
    mutating func append(_ element: Element) {
        growIfFull()
        storage[(head + count) % storage.count] = element
        count += 1
    }

    @inlinable
    mutating func prepend(_ element: Element) {
        growIfFull()
        head = (head - 1 + storage.count) % storage.count
        storage[head] = element
        count += 1
    }

    @inlinable
    mutating func popFirst() -> Element? {
        guard count > 0 else { return nil }
        let element = storage[head]
        storage[head] = nil
        head = (head + 1) % storage.count
        count -= 1
        if count == 0 { head = 0 }
        return element
    }

    /// The elements front to back.
    @inlinable
    var elements: [Element] {
        (0..<count).map { storage[(head + $0) % storage.count]! }
    }

    @inlinable
    mutating func growIfFull() {
        guard count == storage.count else { return }
        var grown = [Element?](repeating: nil, count: max(8, storage.count * 2))
        for offset in 0..<count {
            grown[offset] = storage[(head + offset) % storage.count]
        }
        storage = grown
        head = 0
    }
}
