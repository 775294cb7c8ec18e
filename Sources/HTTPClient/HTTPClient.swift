internal import CCurl
internal import CLibUV
public import UVLoop

/// An HTTP/1.1 client on the node's libuv loop: libcurl's multi-socket interface, with libcurl's
/// sockets watched by `uv_poll_t` handles (`CurlSocketWatcher`) and its timeouts by one loop
/// `Timer`. Nothing here blocks the loop: libcurl only ever reads or writes a socket libuv
/// reported ready, and resolves names on its own thread.
///
/// Confined to the loop thread, like every object of the node. Completions run on the loop,
/// exactly once per request (`.cancelled` when the client is closed first). Call `close()` before
/// dropping the client: it cancels what is in flight and closes its handles.
public final class HTTPClient {
    /// A response body longer than this fails the request (`.responseTooLarge`).
    public let maxResponseBytes: Int
    /// Requests started and not yet completed.
    public var inFlightCount: Int { transfers.count }
    public private(set) var isClosed = false

    private let loop: EventLoop
    private let multi: UnsafeMutableRawPointer
    private let timer: Timer
    private var watchers: [Int32: CurlSocketWatcher] = [:]
    private var transfers: [UnsafeMutableRawPointer: CurlTransfer] = [:]

    /// libcurl's global state, set up once per process before the first handle.
    private static let globalInit: Bool = curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK

    public init(loop: EventLoop, maxResponseBytes: Int = 1 << 20) {
        _ = Self.globalInit
        self.loop = loop
        self.maxResponseBytes = maxResponseBytes
        self.multi = curl_multi_init()
        self.timer = Timer(loop: loop)
        // Unretained: the client outlives the multi handle (`close()` cleans it up).
        let me = Unmanaged.passUnretained(self).toOpaque()
        stampede_curl_multi_setopt_pointer(multi, CURLMOPT_SOCKETDATA, me)
        stampede_curl_multi_setopt_pointer(multi, CURLMOPT_TIMERDATA, me)
        stampede_curl_multi_setopt_socket_callback(multi) { _, socket, what, userp, _ in
            guard let userp else { return 0 }
            Unmanaged<HTTPClient>.fromOpaque(userp).takeUnretainedValue().curlWantsSocket(socket, what: what)
            return 0
        }
        stampede_curl_multi_setopt_timer_callback(multi) { _, milliseconds, userp in
            guard let userp else { return 0 }
            Unmanaged<HTTPClient>.fromOpaque(userp).takeUnretainedValue().curlWantsTimer(milliseconds)
            return 0
        }
    }

    /// Starts a request; `completion` runs later on the loop with the response (any status) or
    /// the reason there is none. On a closed client it runs at once with `.cancelled`.
    public func send(_ request: HTTPClientRequest, completion: @escaping (Result<HTTPClientResponse, HTTPClientError>) -> Void) {
        guard !isClosed else { return completion(.failure(.cancelled)) }
        guard let transfer = CurlTransfer(request: request, limit: maxResponseBytes, completion: completion) else {
            return completion(.failure(.transferFailed("cannot create a libcurl handle")))
        }
        transfers[transfer.easy] = transfer
        // Adding calls the timer callback; the transfer starts on the next loop turn.
        let status = curl_multi_add_handle(multi, transfer.easy)
        if status != CURLM_OK {
            transfers[transfer.easy] = nil
            transfer.release()
            completion(.failure(.transferFailed(String(cString: curl_multi_strerror(status)))))
        }
    }

    /// Cancels every request in flight (their completions run with `.cancelled`) and closes the
    /// client's handles. Safe to call twice.
    public func close() {
        guard !isClosed else { return }
        isClosed = true
        timer.close()
        let cancelled = Array(transfers.values)
        transfers.removeAll()
        for transfer in cancelled {
            curl_multi_remove_handle(multi, transfer.easy)
            transfer.release()
        }
        curl_multi_cleanup(multi)
        for watcher in watchers.values { watcher.close() }
        watchers.removeAll()
        for transfer in cancelled { transfer.completion(.failure(.cancelled)) }
    }

    // MARK: libcurl → loop

    /// CURLMOPT_SOCKETFUNCTION: watch `socket` for what libcurl wants, or stop watching it.
    private func curlWantsSocket(_ socket: Int32, what: Int32) {
        if what == CURL_POLL_REMOVE {
            watchers.removeValue(forKey: socket)?.close()
            return
        }
        var events: Int32 = 0
        if what & CURL_POLL_IN != 0 { events |= Int32(UV_READABLE.rawValue) }
        if what & CURL_POLL_OUT != 0 { events |= Int32(UV_WRITABLE.rawValue) }
        let watcher: CurlSocketWatcher
        if let existing = watchers[socket] {
            watcher = existing
        } else {
            guard let created = CurlSocketWatcher(socket: socket, loop: loop.uvLoop, client: self) else { return }
            watchers[socket] = created
            watcher = created
        }
        watcher.watch(events)
    }

    /// CURLMOPT_TIMERFUNCTION: one timer; -1 stops it. libcurl is told on the timer's callback,
    /// never from inside this one.
    private func curlWantsTimer(_ milliseconds: Int) {
        guard !isClosed else { return }
        if milliseconds < 0 {
            timer.stop()
            return
        }
        timer.start(afterMilliseconds: UInt64(milliseconds)) { [weak self] in self?.act(on: CURL_SOCKET_TIMEOUT, flags: 0) }
    }

    // MARK: loop → libcurl

    func socketReady(_ socket: Int32, status: Int32, events: Int32) {
        var flags: Int32 = 0
        if status < 0 { flags |= CURL_CSELECT_ERR }
        if events & Int32(UV_READABLE.rawValue) != 0 { flags |= CURL_CSELECT_IN }
        if events & Int32(UV_WRITABLE.rawValue) != 0 { flags |= CURL_CSELECT_OUT }
        act(on: socket, flags: flags)
    }

    private func act(on socket: Int32, flags: Int32) {
        guard !isClosed else { return }
        var running: Int32 = 0
        curl_multi_socket_action(multi, socket, flags, &running)
        finishTransfers()
    }

    /// Hands finished transfers to their completions, after libcurl is done with them (the
    /// completions may start or cancel requests).
    private func finishTransfers() {
        var finished: [(CurlTransfer, Result<HTTPClientResponse, HTTPClientError>)] = []
        var queued: Int32 = 0
        while let message = curl_multi_info_read(multi, &queued) {
            guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle else { continue }
            let code = message.pointee.data.result
            guard let transfer = transfers.removeValue(forKey: easy) else { continue }
            let result = transfer.outcome(code)
            curl_multi_remove_handle(multi, easy)
            transfer.release()
            finished.append((transfer, result))
        }
        for (transfer, result) in finished { transfer.completion(result) }
    }
}
