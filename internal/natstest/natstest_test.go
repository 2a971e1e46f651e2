package natstest

import (
	"errors"
	"testing"
	"time"
)

func TestHubAndLeaf(t *testing.T) {
	t.Parallel()
	hub := Hub(t, "hub")
	leaf := Leaf(t, LeafURL(hub), "site")
	WaitFor(t, ReadyTimeout, func() error {
		if hub.NumLeafNodes() != 1 {
			return errors.New("leaf not connected")
		}
		return nil
	})
	hubNC := Connect(t, hub)
	sub, err := hubNC.SubscribeSync("umh.v1.>")
	if err != nil {
		t.Fatal(err)
	}
	if err := hubNC.Flush(); err != nil {
		t.Fatal(err)
	}
	leafNC := Connect(t, leaf)
	// The hub's subscription reaches the leaf asynchronously: publish until
	// one message crosses.
	WaitFor(t, ReadyTimeout, func() error {
		if err := leafNC.Publish("umh.v1.a.b", []byte("x")); err != nil {
			return err
		}
		_, err := sub.NextMsg(10 * time.Millisecond)
		return err
	})

	// Stop and Run bring the hub back on the same ports; the leaf rejoins.
	hub = Run(t, Stop(hub))
	WaitFor(t, ReadyTimeout, func() error {
		if hub.NumLeafNodes() != 1 {
			return errors.New("leaf not reconnected")
		}
		return nil
	})
}
