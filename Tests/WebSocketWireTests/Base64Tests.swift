@testable import WebSocketWire
import XCTest

final class Base64Tests: XCTestCase {
    /// RFC 4648 §10 test vectors.
    private let vectors: [(String, String)] = [
        ("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"),
        ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy"),
    ]

    func testEncodeMatchesRFC4648Vectors() {
        for (plain, encoded) in vectors {
            XCTAssertEqual(Base64.encode(Array(plain.utf8)), encoded)
        }
    }

    func testDecodeMatchesRFC4648Vectors() {
        for (plain, encoded) in vectors {
            XCTAssertEqual(Base64.decode(encoded), Array(plain.utf8))
        }
    }

    func testAllByteValuesRoundTrip() {
        let bytes = (0...255).map { UInt8($0) }
        for length in [0, 1, 2, 3, 16, 20, 255, 256] {
            let slice = Array(bytes.prefix(length))
            XCTAssertEqual(Base64.decode(Base64.encode(slice)), slice)
        }
        XCTAssertEqual(Base64.encode([0xFB, 0xFF]), "+/8=")
    }

    func testDecodeRejectsMalformedInput() {
        for bad in ["Zg=", "Z===", "Zg==Zg==", "Zm9v!A==", "Zg=a", "=Zg=", "Zm 9v"] {
            XCTAssertNil(Base64.decode(bad), bad)
        }
    }

    func testDecodeRejectsNonZeroBitsAfterTheLastByte() {
        XCTAssertNil(Base64.decode("Zh=="))
        XCTAssertNil(Base64.decode("Zm9="))
    }
}
