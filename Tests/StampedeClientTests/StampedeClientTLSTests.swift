import Foundation
import StampedeClient
import TestSupport
import XCTest

/// `wss://` and `stomp+ssl://` against a node with a certificate from a private CA: the client
/// trusts it only when told to (`trustedCAFile`), and refuses it otherwise.
final class StampedeClientTLSTests: XCTestCase {
    private func secureNode(_ certificates: TestCertificates) throws -> StampedeNode {
        try StampedeNode(arguments: [
            "--set", "listen.websocket-tls=true", "--set", "listen.stomp-tls=true",
            "--set", "tls.cert-file=\(certificates.serverCertificate)", "--set", "tls.key-file=\(certificates.serverKey)",
        ])
    }

    func testWSSAndSTOMPOverTLSWorkWithTheNodesCA() async throws {
        let certificates = try TestCertificates()
        let node = try secureNode(certificates)
        let options = StampedeClient.Options(connectTimeout: .seconds(5), trustedCAFile: certificates.caFile)
        let web = try StampedeClient(url: "wss://localhost:\(node.webSocketPort)/ws", options: options)
        let raw = try StampedeClient(url: "stomp+ssl://127.0.0.1:\(node.stompPort)", options: options)
        try await web.connect()
        try await raw.connect()
        let inbox = try await web.subscribe("/topic/tls.check")
        try await raw.send("sealed both ways", to: "/topic/tls.check", receipt: true)
        var iterator = inbox.makeAsyncIterator()
        let message = try await iterator.next()
        XCTAssertEqual(message?.bodyText, "sealed both ways")
        await web.disconnect()
        await raw.disconnect()
    }

    func testAServerCertificateFromAnotherCAIsRefused() async throws {
        let certificates = try TestCertificates()
        let node = try secureNode(certificates)
        let stranger = try TestCertificates()  // a CA that did not sign the node's certificate
        for url in ["wss://localhost:\(node.webSocketPort)/ws", "stomp+ssl://127.0.0.1:\(node.stompPort)"] {
            for caFile in [stranger.caFile, nil] {  // the other CA, then the system's trust store
                let client = try StampedeClient(url: url, options: StampedeClient.Options(connectTimeout: .seconds(5), trustedCAFile: caFile))
                do {
                    try await client.connect()
                    XCTFail("\(url) connected to a node whose certificate \(caFile == nil ? "no system CA" : "the other CA") signed")
                } catch {
                    guard case .transport = error else { return XCTFail("\(url): \(error)") }
                }
                await client.disconnect()
            }
        }
    }
}
