package agent

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/edgetag/edgetag/engine"
	"github.com/edgetag/edgetag/opcua"
	"github.com/edgetag/edgetag/sink"
)

// metrics exposes the counters every stage keeps as Prometheus metrics. The
// stages own their counters (plain atomics, no Prometheus dependency); this
// collector reads snapshots at scrape time, so the hot path pays nothing.
type metrics struct {
	a   *Agent
	reg *prometheus.Registry

	sourceState, sourceSamples, sourceNodes, sourceFailed, sourceReconnects, sourceBrowse *prometheus.Desc
	sourceSubscriptions, sourceBrowsePending, sourceEvents                                *prometheus.Desc
	engineSamples, engineEmitted, engineFiltered, engineFailed                            *prometheus.Desc
	engineSubjectCollisions                                                               *prometheus.Desc
	engineBadDropped                                                                      *prometheus.Desc
	published, publishErrors, retried, lost, acksPending, buffered, connected             *prometheus.Desc
	queueDepth, pipelinePublished, lostAtShutdown                                         *prometheus.Desc
	leafnodeConnected                                                                     *prometheus.Desc
	streamMessages, streamBytes, streamMaxBytes, streamFill, streamFirst, streamLast      *prometheus.Desc
	streamConsumers, streamSent, streamUnsent, streamUnsentAge, streamOK                  *prometheus.Desc
	streamDiscarded, streamRecreated, storeRecoveries                                     *prometheus.Desc
	streamBufferSeconds                                                                   *prometheus.Desc
	engineStuck, abandonedSamples                                                         *prometheus.Desc
	commands, commandsAuditLost                                                           *prometheus.Desc
	sourceUnnamedEnumValues                                                               *prometheus.Desc
	sourceUndecodedStructures                                                             *prometheus.Desc
}

var sourceStates = []opcua.State{opcua.StateConnecting, opcua.StateConnected, opcua.StateDegraded, opcua.StateDisconnected, opcua.StateStopped}

func newMetrics(a *Agent) *metrics {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc("edgetag_"+name, help, labels, prometheus.Labels{"site": a.site})
	}
	m := &metrics{
		a:             a,
		reg:           prometheus.NewRegistry(),
		sourceState:   d("source_state", "1 for the source's current connection state.", "source", "state"),
		sourceSamples: d("source_samples_total", "Samples read from the source.", "source"),
		sourceEvents:  d("source_events_total", "Of the samples read from the source, OPC UA events (sources[].events).", "source"),
		sourceNodes:   d("source_nodes", "Variables acquired by the source.", "source"),
		sourceFailed:  d("source_failed_items", "Nodes that failed and are retried.", "source"),
		sourceSubscriptions: d("source_subscriptions", "Subscriptions the source's session holds "+
			"(limits.max_monitored_items_per_subscription spreads items over them).", "source"),
		sourceBrowsePending: d("source_browse_pending_nodes", "Nodes below browse roots whose browse failed: "+
			"the variables below them are missing until a retry (retry_failed_items) browses them.", "source"),
		sourceReconnects: d("source_reconnects_total", "Successful reconnects after the first connect.", "source"),
		sourceBrowse:     d("source_browse_seconds", "Duration of the last browse of the source's roots.", "source"),
		engineSamples:    d("engine_samples_total", "Samples processed by the tag engine."),
		engineEmitted:    d("engine_emitted_total", "Messages produced by the tag engine."),
		engineFiltered:   d("engine_filtered_total", "Messages dropped on purpose by a stage (returned null).", "stage"),
		engineFailed:     d("engine_failed_total", "Messages that failed, by stage and reason.", "stage", "reason"),
		engineSubjectCollisions: d("engine_subject_collisions_total", "Nodes found publishing on a subject another node "+
			"publishes on (once per subject and node; the first of each subject is logged with both node ids)."),
		engineBadDropped: d("engine_bad_status_dropped_total", "Samples with a Bad OPC UA status dropped before the scripts "+
			"(tag_processor.bad_status: drop, as United Manufacturing Hub does)."),
		published:         d("nats_published_total", "Messages published (and acknowledged with JetStream)."),
		publishErrors:     d("nats_publish_errors_total", "Publish attempts that failed (retried or lost)."),
		retried:           d("nats_retried_total", "Publishes retried with the same message id."),
		lost:              d("nats_lost_total", "Messages lost by the sink, by reason.", "reason"),
		acksPending:       d("nats_acks_pending", "JetStream acks in flight."),
		buffered:          d("nats_buffered_bytes", "Bytes buffered by the NATS client while disconnected."),
		connected:         d("nats_connected", "1 when the sink is connected."),
		queueDepth:        d("pipeline_queue_depth", "Samples queued in front of the engine workers."),
		pipelinePublished: d("pipeline_published_total", "Messages the workers handed to the sink successfully."),
		lostAtShutdown:    d("lost_at_shutdown_total", "Samples and messages cut off by the shutdown deadline."),
		leafnodeConnected: d("nats_leafnode_connected", "1 when the embedded server's leafnode uplink is connected (only with an uplink)."),
		streamMessages:    d("jetstream_stream_messages", "Messages in the JetStream stream."),
		streamBytes:       d("jetstream_stream_bytes", "Bytes in the JetStream stream, as counted against max_bytes."),
		streamMaxBytes:    d("jetstream_stream_max_bytes", "The stream's max_bytes (-1: none)."),
		streamFill:        d("jetstream_stream_fill_ratio", "Stream bytes over max_bytes (0 without a limit)."),
		streamFirst:       d("jetstream_stream_first_seq", "The stream's first sequence."),
		streamLast:        d("jetstream_stream_last_seq", "The stream's last sequence."),
		streamConsumers:   d("jetstream_stream_consumers", "Consumers of the stream, a hub's sourcing consumers included."),
		streamSent:        d("jetstream_stream_sent_seq", "Highest stream sequence any consumer (a hub's source) has been delivered."),
		streamUnsent:      d("jetstream_stream_unsent_messages", "Messages in the stream no consumer has been delivered yet (how far a hub is behind)."),
		streamUnsentAge:   d("jetstream_stream_unsent_age_seconds", "Age of the oldest message no consumer has been delivered yet."),
		streamOK:          d("jetstream_stream_ok", "1 when the stream exists and its store takes messages."),
		streamBufferSeconds: d("jetstream_stream_buffer_seconds", "How long an uplink outage max_bytes rides out at the rate the stream "+
			"stored bytes over about the last minute (0 while unknown or without a limit)."),
		streamDiscarded: d("jetstream_stream_discarded_total", "Messages that left the stream before any consumer was delivered them, "+
			"by reason (limit, age, stream_deleted, store_error).", "reason"),
		streamRecreated:  d("jetstream_stream_recreated_total", "Times the stream was found missing and created again."),
		storeRecoveries:  d("jetstream_store_recoveries_total", "In-process restarts of the embedded JetStream after a store error."),
		engineStuck:      d("engine_stuck_runtimes", "JavaScript runtimes stuck in a built-in past their deadline (replaced in the pool, still running)."),
		abandonedSamples: d("pipeline_abandoned_samples_total", "Samples a worker held when it was given up as stuck in the engine: not published."),
		commands: d("commands_total", "Command service requests by operation (write, call, read, browse, status, ...) "+
			"and result (ok or the error code).", "op", "result"),
		commandsAuditLost: d("commands_audit_lost_total", "Audit records that could not be published to commands.audit_subject."),
	}
	m.sourceUnnamedEnumValues = d("source_enum_values_unnamed_total", "Enumeration numbers without a name in their "+
		"enumeration, when the source's enums is name or both: published as the number (one warning per type in the log).", "source")
	m.sourceUndecodedStructures = d("source_structures_undecoded_total", "Structure values whose body did not decode "+
		"from the server's definition: published as type_id and raw body (one warning per type in the log).", "source")
	m.reg.MustRegister(m, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Describe implements prometheus.Collector.
func (m *metrics) Describe(ch chan<- *prometheus.Desc) { prometheus.DescribeByCollect(m, ch) }

// Collect implements prometheus.Collector.
func (m *metrics) Collect(ch chan<- prometheus.Metric) {
	counter := func(d *prometheus.Desc, v float64, l ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, l...)
	}
	gauge := func(d *prometheus.Desc, v float64, l ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, l...)
	}
	for _, s := range m.a.sourceStatuses() {
		for _, st := range sourceStates {
			gauge(m.sourceState, b2f(s.State == st), s.Name, string(st))
		}
		counter(m.sourceSamples, float64(s.Samples), s.Name)
		counter(m.sourceEvents, float64(s.Events), s.Name)
		gauge(m.sourceNodes, float64(s.Nodes), s.Name)
		gauge(m.sourceFailed, float64(s.FailedItems), s.Name)
		gauge(m.sourceSubscriptions, float64(s.Subscriptions), s.Name)
		gauge(m.sourceBrowsePending, float64(s.PendingBrowse), s.Name)
		counter(m.sourceReconnects, float64(s.Reconnects), s.Name)
		gauge(m.sourceBrowse, s.BrowseTime.Seconds(), s.Name)
		counter(m.sourceUndecodedStructures, float64(s.UndecodedStructures), s.Name)
		counter(m.sourceUnnamedEnumValues, float64(s.UnnamedEnumValues), s.Name)
	}
	es := m.a.carried.engineStats(func() engine.Stats { return m.a.pipe.engine.Load().Stats() })
	counter(m.engineSamples, float64(es.Samples))
	counter(m.engineEmitted, float64(es.Emitted))
	counter(m.engineSubjectCollisions, float64(es.SubjectCollisions))
	counter(m.engineBadDropped, float64(es.BadDropped))
	for stage, n := range es.Filtered {
		counter(m.engineFiltered, float64(n), stage)
	}
	for stage, byReason := range es.Failed {
		for reason, n := range byReason {
			counter(m.engineFailed, float64(n), stage, string(reason))
		}
	}
	ss := m.a.sink.Stats()
	counter(m.published, float64(ss.Published))
	counter(m.publishErrors, float64(ss.PublishErrors))
	counter(m.retried, float64(ss.Retried))
	for reason, n := range ss.Lost {
		counter(m.lost, float64(n), reason)
	}
	gauge(m.acksPending, float64(ss.AcksPending))
	gauge(m.buffered, float64(ss.BufferedBytes))
	gauge(m.connected, b2f(ss.Connected))
	if ss.Leafnode {
		gauge(m.leafnodeConnected, b2f(ss.LeafnodeConnected))
	}
	if st := ss.Stream; st.Watched {
		gauge(m.streamMessages, float64(st.Messages))
		gauge(m.streamBytes, float64(st.Bytes))
		gauge(m.streamMaxBytes, float64(st.MaxBytes))
		fill := 0.0
		if st.MaxBytes > 0 {
			fill = float64(st.Bytes) / float64(st.MaxBytes)
		}
		gauge(m.streamFill, fill)
		gauge(m.streamFirst, float64(st.FirstSeq))
		gauge(m.streamLast, float64(st.LastSeq))
		gauge(m.streamConsumers, float64(st.Consumers))
		gauge(m.streamSent, float64(st.SentSeq))
		gauge(m.streamUnsent, float64(st.Unsent))
		gauge(m.streamUnsentAge, st.UnsentAge.Seconds())
		gauge(m.streamOK, b2f(st.Problem == ""))
		gauge(m.streamBufferSeconds, st.BufferSeconds)
		for _, reason := range []string{sink.DiscardLimit, sink.DiscardAge, sink.DiscardStreamDeleted, sink.DiscardStoreError} {
			counter(m.streamDiscarded, float64(st.Discarded[reason]), reason)
		}
		counter(m.streamRecreated, float64(st.Recreated))
		counter(m.storeRecoveries, float64(st.StoreRecoveries))
	}
	gauge(m.queueDepth, float64(m.a.pipe.depth()))
	counter(m.pipelinePublished, float64(m.a.pipe.published.Load()))
	counter(m.lostAtShutdown, float64(m.a.pipe.lostAtShutdown.Load()))
	gauge(m.engineStuck, float64(m.a.pipe.engine.Load().Stuck()))
	counter(m.abandonedSamples, float64(m.a.pipe.abandonedSamples.Load()))
	if svc := m.a.commands.Load(); svc != nil {
		for _, c := range svc.Counts() {
			counter(m.commands, float64(c.N), c.Op, c.Result)
		}
		counter(m.commandsAuditLost, float64(svc.AuditLost()))
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
