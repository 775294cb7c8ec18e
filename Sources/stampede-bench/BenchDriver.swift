import Glibc
import UVLoop

/// Writes one line to standard error (progress and diagnostics; stdout carries only the report).
func printError(_ line: String) {
    writeAll(STDERR_FILENO, "stampede-bench: " + line + "\n")
}

/// Writes the whole text to a descriptor (stdio's globals are not concurrency-safe in Swift 6).
func writeAll(_ descriptor: Int32, _ text: String) {
    var text = text
    text.withUTF8 { bytes in
        var offset = 0
        while offset < bytes.count {
            let written = write(descriptor, bytes.baseAddress.unsafelyUnwrapped + offset, bytes.count - offset)
            if written < 0, errno == EINTR { continue }
            guard written > 0 else { return }
            offset += written
        }
    }
}

/// The loop of one run plus what every scenario needs around it: SIGINT/SIGTERM, a progress line
/// per second on stderr, and a hard deadline so a run always ends.
final class BenchDriver {
    let loop: EventLoop
    /// When the driver was created (MonotonicClock nanoseconds).
    let startTime = MonotonicClock.now()
    private var signals: [SignalWatcher] = []
    private let progressTimer: Timer
    private let deadlineTimer: Timer
    /// A signal arrived.
    private(set) var interrupted = false
    /// The deadline passed before the scenario finished.
    private(set) var timedOut = false
    private var stopRequests = 0
    private var shutDown = false

    /// Called once per second; returns the progress line.
    var progressLine: (() -> String)?
    /// Called on the first SIGINT/SIGTERM or at the deadline: the scenario stops and reports.
    var onStop: (() -> Void)?
    /// Called on a second signal: close everything at once.
    var onForceStop: (() -> Void)?

    /// Prepares the loop; `maxRunSeconds` bounds the whole run.
    init(maxRunSeconds: Double) throws {
        ignoreSIGPIPE()
        loop = try EventLoop()
        loop.lingerTimeoutMilliseconds = 2_000
        progressTimer = Timer(loop: loop)
        deadlineTimer = Timer(loop: loop)
        for number in [SIGINT, SIGTERM] {
            signals.append(try SignalWatcher(loop: loop, signal: number) { [unowned self] _ in self.signalArrived() })
        }
        progressTimer.start(afterMilliseconds: 1_000, repeatMilliseconds: 1_000) { [unowned self] in
            if let line = self.progressLine?() { printError(line) }
        }
        deadlineTimer.start(afterMilliseconds: UInt64(maxRunSeconds * 1_000)) { [unowned self] in
            self.timedOut = true
            printError("run deadline of \(Int(maxRunSeconds)) s reached; stopping")
            self.requestStop()
        }
    }

    /// Seconds since the driver was created.
    var elapsedSeconds: Double { Double(MonotonicClock.now() - startTime) / 1e9 }

    /// Runs the loop until every handle has closed (after `shutdown()`), then closes it.
    func run() {
        loop.run()
        do {
            try loop.close()
        } catch {
            printError("loop did not close cleanly: \(error)")
        }
    }

    /// Closes the driver's own handles; the loop ends once the scenario's connections are closed too.
    func shutdown() {
        guard !shutDown else { return }
        shutDown = true
        progressTimer.close()
        deadlineTimer.close()
        for watcher in signals { watcher.close() }
    }

    private func signalArrived() {
        interrupted = true
        requestStop()
    }

    private func requestStop() {
        stopRequests += 1
        if stopRequests == 1 {
            onStop?()
        } else {
            onForceStop?()
        }
    }
}

/// Resident memory and CPU time of a process, from /proc.
enum ProcessStats {
    /// VmRSS of `pid` in bytes (`nil` pid: this process); nil when unreadable.
    static func residentBytes(pid: Int32?) -> Int? {
        guard let status = readFile("/proc/\(pid.map(String.init) ?? "self")/status") else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            let digits = line.dropFirst("VmRSS:".count).filter(\.isNumber)
            return Int(digits).map { $0 * 1024 }
        }
        return nil
    }

    /// User + system CPU seconds used by `pid` so far (`nil`: this process).
    static func cpuSeconds(pid: Int32?) -> Double? {
        guard let stat = readFile("/proc/\(pid.map(String.init) ?? "self")/stat"),
              let afterName = stat.lastIndex(of: ")")
        else { return nil }
        // Fields after the command name start at field 3 (state); utime and stime are 14 and 15.
        let fields = stat[stat.index(after: afterName)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        return (user + system) / (ticks > 0 ? ticks : 100)
    }

    /// The soft limit on open files of this process.
    static func openFileLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(RLIMIT_NOFILE_VALUE, &limit) == 0 else { return 1024 }
        return limit.rlim_cur > UInt(Int.max) ? Int.max : Int(limit.rlim_cur)
    }

    private static let RLIMIT_NOFILE_VALUE = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)

    private static func readFile(_ path: String) -> String? {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            guard count > 0 else { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
