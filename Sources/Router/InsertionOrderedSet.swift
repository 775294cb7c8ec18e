/// A set that remembers insertion order, with O(1) insert and amortised O(1) removal.
///
/// Removal leaves a hole that iteration skips; holes are squeezed out once they outnumber the
/// members, so a busy destination's subscriber list never needs an O(n) shift per unsubscribe.
/// (`@inlinable` throughout, like the other generic tables here, so client modules get code
/// specialised for their element type instead of generic metadata lookups on the hot path.)
@usableFromInline
struct InsertionOrderedSet<Element: Hashable & Sendable>: Sendable {
    @usableFromInline var slots: [Element?]
    @usableFromInline var positions: [Element: Int]

    @inlinable
    init() {
        slots = []
        positions = [:]
    }

    @inlinable var count: Int { positions.count }
    @inlinable var isEmpty: Bool { positions.isEmpty }

    @inlinable
    func contains(_ element: Element) -> Bool {
        positions[element] != nil
    }

    /// Adds `element` at the end; false if it was already a member.
    @inlinable
    mutating func insert(_ element: Element) -> Bool {
        guard positions[element] == nil else { return false }
        positions[element] = slots.count
        slots.append(element)
        return true
    }

    /// Removes `element`; false if it was not a member.
    @inlinable
    mutating func remove(_ element: Element) -> Bool {
        guard let position = positions.removeValue(forKey: element) else { return false }
        slots[position] = nil
        if positions.isEmpty {
            slots.removeAll()
        } else if slots.count >= 16 && positions.count * 2 < slots.count {
            compact()
        }
        return true
    }

    /// The members in insertion order.
    @inlinable
    var elements: [Element] {
        if slots.count == positions.count {
            return slots.map { $0! }
        }
        return slots.compactMap { $0 }
    }

    /// Calls `body` with each member in insertion order.
    @inlinable
    func forEach(_ body: (Element) -> Void) {
        for case let element? in slots {
            body(element)
        }
    }

    @inlinable
    mutating func compact() {
        var kept: [Element?] = []
        kept.reserveCapacity(positions.count)
        for case let element? in slots {
            positions[element] = kept.count
            kept.append(element)
        }
        slots = kept
    }
}
