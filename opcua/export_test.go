package opcua

// Test helpers for the external test package (opcua_test), whose tests
// import packages that import this one (command).
var (
	StartPeerForTest        = startPeer
	EventsPeerConfigForTest = eventsPeerConfig
	RunSourceForTest        = runSource
	TestLoggerForTest       = testLogger
)
