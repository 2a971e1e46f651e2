package sink

import "time"

// ackScanEvery is how often ackTimeoutLoop looks for overdue acks: a
// quarter of the ack timeout, within [10 ms, 1 s].
func ackScanEvery(ackTimeout time.Duration) time.Duration {
	return min(max(ackTimeout/4, 10*time.Millisecond), time.Second)
}

// latestFirstRetry is how long after a message's first attempt its first
// retry after an ack timeout is sent at the latest: the timeout, the scan
// that notices it (ackScanEvery) and the first backoff with its jitter
// (see scheduleRetry).
func latestFirstRetry(ackTimeout time.Duration) time.Duration {
	return ackTimeout + ackScanEvery(ackTimeout) + retryBase + retryBase/5
}

// EmbeddedDupeWindow is the default duplicate window of the embedded
// server's stream for an ack timeout: latestFirstRetry rounded up to the
// second, plus a second. It is DefaultEmbeddedDupeWindow (8 s) for the
// default ack timeout of 5 s, and grows with a longer ack timeout, so the
// first retry after a late ack is always de-duplicated while the window,
// whose ids the embedded server holds in the gateway's memory, stays short.
func EmbeddedDupeWindow(ackTimeout time.Duration) time.Duration {
	first := latestFirstRetry(ackTimeout)
	return (first + time.Second - 1).Truncate(time.Second) + time.Second
}
