import HTTPWire
import WebSocketWire
import XCTest

final class PerMessageDeflateNegotiationTests: XCTestCase {
    private let on = PerMessageDeflatePolicy(enabled: true)

    func testDisabledPolicyIgnoresEveryOffer() {
        XCTAssertNil(PerMessageDeflate.negotiate(offers: "permessage-deflate", policy: PerMessageDeflatePolicy()))
    }

    func testBrowserOfferIsAcceptedWithServerNoContextTakeover() {
        let agreement = PerMessageDeflate.negotiate(offers: "permessage-deflate; client_max_window_bits", policy: on)
        XCTAssertEqual(agreement?.responseHeader, "permessage-deflate; server_no_context_takeover")
        XCTAssertEqual(agreement?.clientMaxWindowBits, 15)
        XCTAssertEqual(agreement?.clientNoContextTakeover, false)
    }

    func testSmallerClientWindowIsAskedWhenTheClientAllowsIt() {
        var policy = on
        policy.clientMaxWindowBits = 10
        let agreement = PerMessageDeflate.negotiate(offers: "permessage-deflate; client_max_window_bits", policy: policy)
        XCTAssertEqual(agreement?.responseHeader, "permessage-deflate; server_no_context_takeover; client_max_window_bits=10")
        XCTAssertEqual(agreement?.clientMaxWindowBits, 10)
        // Without client_max_window_bits in the offer the client may use 15 bits: not asked, inflater keeps 15.
        let plain = PerMessageDeflate.negotiate(offers: "permessage-deflate", policy: policy)
        XCTAssertEqual(plain?.responseHeader, "permessage-deflate; server_no_context_takeover")
        XCTAssertEqual(plain?.clientMaxWindowBits, 15)
    }

    func testClientWindowValueAndNoContextTakeoverAreEchoed() {
        let agreement = PerMessageDeflate.negotiate(
            offers: "permessage-deflate; client_no_context_takeover; client_max_window_bits=\"12\"", policy: on)
        XCTAssertEqual(agreement?.responseHeader,
                       "permessage-deflate; server_no_context_takeover; client_max_window_bits=12; client_no_context_takeover")
        XCTAssertEqual(agreement?.clientMaxWindowBits, 12)
        XCTAssertEqual(agreement?.clientNoContextTakeover, true)
    }

    func testServerCanAskForClientNoContextTakeoverUnoffered() {
        var policy = on
        policy.requestClientNoContextTakeover = true
        let agreement = PerMessageDeflate.negotiate(offers: "permessage-deflate", policy: policy)
        XCTAssertEqual(agreement?.responseHeader, "permessage-deflate; server_no_context_takeover; client_no_context_takeover")
        XCTAssertEqual(agreement?.clientNoContextTakeover, true)
    }

    func testOfferForASmallerServerWindowFallsBackToTheNextOffer() {
        let agreement = PerMessageDeflate.negotiate(
            offers: "permessage-deflate; server_max_window_bits=10, permessage-deflate", policy: on)
        XCTAssertEqual(agreement?.responseHeader, "permessage-deflate; server_no_context_takeover")
        var small = on
        small.serverMaxWindowBits = 10
        XCTAssertEqual(
            PerMessageDeflate.negotiate(offers: "permessage-deflate; server_max_window_bits=10", policy: small)?.responseHeader,
            "permessage-deflate; server_no_context_takeover; server_max_window_bits=10")
        XCTAssertNil(PerMessageDeflate.negotiate(offers: "permessage-deflate; server_max_window_bits=10", policy: on))
    }

    func testInvalidOffersAreDeclined() {
        for offer in [
            "permessage-deflate; server_max_window_bits", "permessage-deflate; server_max_window_bits=16",
            "permessage-deflate; client_max_window_bits=7", "permessage-deflate; unknown",
            "permessage-deflate; client_no_context_takeover; client_no_context_takeover",
            "permessage-deflate; server_no_context_takeover=1", "x-webkit-deflate-frame",
            "permessage-deflate; client_max_window_bits=1x",
        ] {
            XCTAssertNil(PerMessageDeflate.negotiate(offers: offer, policy: on), offer)
        }
    }

    func testOffersAcrossSeveralHeadersAreConsidered() {
        let head = HTTPRequestHead(method: "GET", target: "/ws", versionMinor: 1, headers: [
            HTTPHeader(name: "Sec-WebSocket-Extensions", value: "x-foo"),
            HTTPHeader(name: "sec-websocket-extensions", value: "permessage-deflate"),
        ])
        XCTAssertNotNil(PerMessageDeflate.negotiate(head, policy: on))
    }

    func testStoredBlockHeaderCarriesLengthAndComplement() {
        var out: [UInt8] = []
        PerMessageDeflate.writeStoredBlockHeader(length: 5, into: &out)
        XCTAssertEqual(out, [0x00, 0x05, 0x00, 0xFA, 0xFF])
    }

    func testCompressedHeaderSetsRSV1() {
        var out: [UInt8] = []
        WebSocketFrameEncoder.writeCompressedHeader(opcode: .text, payloadLength: 7, into: &out)
        XCTAssertEqual(out, [0xC1, 0x07])
    }
}
