package sink

// uplinkErrorReports is how many failed leafnode connect attempts make one
// error line (the first attempt's always does; nats-server logs the others
// at debug level): with the one-second reconnect interval plus jitter, one
// line about every 45 s while the hub is down instead of one per attempt.
const uplinkErrorReports = 30
