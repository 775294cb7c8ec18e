internal import CCurl

/// One request's libcurl easy handle and what it collects. Owned by `HTTPClient.transfers`
/// while in flight; `release()` frees the C side once libcurl no longer uses it.
final class CurlTransfer {
    let easy: UnsafeMutableRawPointer
    let completion: (Result<HTTPClientResponse, HTTPClientError>) -> Void
    private let limit: Int
    private var headerList: UnsafeMutablePointer<curl_slist>?
    private let errorBuffer: UnsafeMutablePointer<CChar>
    private var body: [UInt8] = []
    private var overflowed = false

    init?(request: HTTPClientRequest, limit: Int, completion: @escaping (Result<HTTPClientResponse, HTTPClientError>) -> Void) {
        guard let easy = curl_easy_init() else { return nil }
        self.easy = easy
        self.limit = limit
        self.completion = completion
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(to: 0)
        configure(request)
    }

    private func configure(_ request: HTTPClientRequest) {
        stampede_curl_easy_setopt_string(easy, CURLOPT_URL, request.url)
        stampede_curl_easy_setopt_string(easy, CURLOPT_PROTOCOLS_STR, "http,https")
        // No signals (SIGALRM for DNS timeouts) in a process with other threads.
        stampede_curl_easy_setopt_long(easy, CURLOPT_NOSIGNAL, 1)
        stampede_curl_easy_setopt_long(easy, CURLOPT_TIMEOUT_MS, max(1, request.timeoutMilliseconds))
        stampede_curl_easy_setopt_long(easy, CURLOPT_CONNECTTIMEOUT_MS, max(1, min(request.connectTimeoutMilliseconds, request.timeoutMilliseconds)))
        stampede_curl_easy_setopt_pointer(easy, CURLOPT_ERRORBUFFER, errorBuffer)
        switch request.method {
        case "GET":
            stampede_curl_easy_setopt_long(easy, CURLOPT_HTTPGET, 1)
        case "POST":
            stampede_curl_easy_setopt_long(easy, CURLOPT_POSTFIELDSIZE, request.body.count)
            _ = request.body.withUnsafeBytes { bytes in
                // COPYPOSTFIELDS copies: the array need not outlive this call.
                stampede_curl_easy_setopt_pointer(easy, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: bytes.baseAddress ?? UnsafeRawPointer(errorBuffer)))
            }
        default:
            stampede_curl_easy_setopt_string(easy, CURLOPT_CUSTOMREQUEST, request.method)
        }
        // libcurl would wait up to a second for "100 Continue" before sending a larger body.
        var list = curl_slist_append(nil, "Expect:")
        for (name, value) in request.headers { list = curl_slist_append(list, "\(name): \(value)") }
        headerList = list
        stampede_curl_easy_setopt_slist(easy, CURLOPT_HTTPHEADER, list)
        stampede_curl_easy_setopt_pointer(easy, CURLOPT_WRITEDATA, Unmanaged.passUnretained(self).toOpaque())
        stampede_curl_easy_setopt_data_callback(easy, CURLOPT_WRITEFUNCTION) { data, size, count, userdata in
            guard let userdata else { return 0 }
            return Unmanaged<CurlTransfer>.fromOpaque(userdata).takeUnretainedValue().received(data, size * count)
        }
    }

    /// CURLOPT_WRITEFUNCTION: appends, or stops the transfer past the limit (returning less
    /// than given makes libcurl fail it with CURLE_WRITE_ERROR).
    private func received(_ data: UnsafeMutablePointer<CChar>?, _ count: Int) -> Int {
        guard let data, count > 0 else { return count }
        guard body.count + count <= limit else {
            overflowed = true
            return 0
        }
        body.append(contentsOf: UnsafeRawBufferPointer(start: data, count: count))
        return count
    }

    /// The request's result from libcurl's code (read before `release()`).
    func outcome(_ code: CURLcode) -> Result<HTTPClientResponse, HTTPClientError> {
        if code == CURLE_OK {
            var status = 0
            stampede_curl_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
            return .success(HTTPClientResponse(status: status, body: body))
        }
        if overflowed { return .failure(.responseTooLarge(limit)) }
        let detail = errorBuffer.pointee != 0 ? String(cString: errorBuffer) : String(cString: curl_easy_strerror(code))
        switch code {
        case CURLE_OPERATION_TIMEDOUT:
            return .failure(.timedOut)
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY, CURLE_SSL_CONNECT_ERROR:
            return .failure(.connectionFailed(detail))
        default:
            return .failure(.transferFailed(detail))
        }
    }

    /// Frees the easy handle and its header list; the transfer must be out of the multi handle.
    func release() {
        curl_easy_cleanup(easy)
        curl_slist_free_all(headerList)
        headerList = nil
        errorBuffer.deallocate()
    }
}
