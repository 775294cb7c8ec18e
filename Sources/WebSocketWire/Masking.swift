/// XOR masking of frame payloads (RFC 6455 §5.3), eight bytes at a time.
enum Masking {
    static func unmask(_ source: UnsafeRawBufferPointer, key: (UInt8, UInt8, UInt8, UInt8)) -> [UInt8] {
        let count = source.count
        return [UInt8](unsafeUninitializedCapacity: count) { output, initialized in
            // The key repeated twice, in memory order, lines up with every 8-byte word of the payload.
            var wideKey: UInt64 = 0
            withUnsafeMutableBytes(of: &wideKey) { bytes in
                for index in 0..<8 {
                    bytes[index] = index & 3 == 0 ? key.0 : index & 3 == 1 ? key.1 : index & 3 == 2 ? key.2 : key.3
                }
            }
            let destination = UnsafeMutableRawBufferPointer(output)
            var index = 0
            while index + 8 <= count {
                let word = source.loadUnaligned(fromByteOffset: index, as: UInt64.self) ^ wideKey
                destination.storeBytes(of: word, toByteOffset: index, as: UInt64.self)
                index += 8
            }
            while index < count {
                let keyByte = index & 3 == 0 ? key.0 : index & 3 == 1 ? key.1 : index & 3 == 2 ? key.2 : key.3
                output[index] = source[index] ^ keyByte
                index += 1
            }
            initialized = count
        }
    }

    /// XORs `bytes` with the mask key where they are.
    static func unmaskInPlace(_ bytes: UnsafeMutableRawBufferPointer, key: (UInt8, UInt8, UInt8, UInt8)) {
        let count = bytes.count
        var wideKey: UInt64 = 0
        withUnsafeMutableBytes(of: &wideKey) { keyBytes in
            for index in 0..<8 {
                keyBytes[index] = index & 3 == 0 ? key.0 : index & 3 == 1 ? key.1 : index & 3 == 2 ? key.2 : key.3
            }
        }
        var index = 0
        while index + 8 <= count {
            let word = bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self) ^ wideKey
            bytes.storeBytes(of: word, toByteOffset: index, as: UInt64.self)
            index += 8
        }
        while index < count {
            bytes[index] ^= index & 3 == 0 ? key.0 : index & 3 == 1 ? key.1 : index & 3 == 2 ? key.2 : key.3
            index += 1
        }
    }
}
