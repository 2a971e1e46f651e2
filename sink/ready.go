package sink

// NotReady returns why the sink cannot publish now, one reason each; none
// when it can. Not connected; with JetStream: the stream missing, its store
// failing, or publishes failing (no ack since the last failed attempt).
func (s *Sink) NotReady() []string {
	if s.nc == nil || !s.nc.IsConnected() {
		return []string{"nats not connected"}
	}
	if s.js == nil {
		return nil
	}
	var reasons []string
	if !s.streamReady.Load() {
		problem := "stream not created yet"
		if p := s.problem.Load(); p != nil {
			problem = *p
		}
		reasons = append(reasons, "jetstream "+s.cfg.JetStream.Stream+": "+problem)
	}
	if s.publishFailing.Load() {
		reasons = append(reasons, "jetstream publishes failing")
	}
	return reasons
}

// uplinkErrorReports is how many failed leafnode connect attempts make one
// error line (the first attempt's always does): with the one-second
// reconnect interval plus jitter, one line about every 45 s while the hub is
// down instead of one per attempt.
const uplinkErrorReports = 30
