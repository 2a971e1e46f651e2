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
