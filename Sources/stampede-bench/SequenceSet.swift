/// The sequence numbers one receiver has seen, as a growable bitmap: exact loss and duplicate
/// counts at one bit per message (1,000 subscribers × 100,000 messages = 12.5 MB).
struct SequenceSet {
    private var words: [UInt64] = []
    /// Distinct sequence numbers inserted.
    private(set) var count = 0
    /// Inserts that found the number already present.
    private(set) var duplicates = 0

    /// Records `sequence` (non-negative); returns false if it was seen before.
    @discardableResult
    mutating func insert(_ sequence: Int) -> Bool {
        let word = sequence >> 6
        if word >= words.count {
            words.append(contentsOf: repeatElement(0, count: max(word + 1 - words.count, words.count)))
        }
        let bit: UInt64 = 1 << UInt64(sequence & 63)
        if words[word] & bit != 0 {
            duplicates += 1
            return false
        }
        words[word] |= bit
        count += 1
        return true
    }
}
