// Package tag holds the datum types that cross stage boundaries: a Sample
// flows from the OPC UA source to the engine, a Message from the engine to
// the sink. It has no dependencies so that every stage can import it without
// importing the others.
package tag
