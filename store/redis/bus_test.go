package redis

import (
	"bufio"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hotline12345/hotline/store"
)

func receive(t *testing.T, sub store.Subscription, want string) {
	t.Helper()
	select {
	case got, ok := <-sub.C():
		if !ok {
			t.Fatalf("subscription closed, want %q", want)
		}
		if string(got) != want {
			t.Fatalf("got %q, want %q", got, want)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("nothing received, want %q", want)
	}
}

// TestBusAcrossStores: an event published on one instance reaches the
// subscribers on another; a deployment under another prefix hears nothing.
func TestBusAcrossStores(t *testing.T) {
	t.Parallel()
	url := testURL(t)
	prefix := uniquePrefix()
	dropPrefix(t, url, prefix)
	a := openStore(t, url, prefix)
	b := openStore(t, url, prefix)
	elsewhere := newStore(t)
	ctx := context.Background()

	onB, err := b.Subscribe(ctx, "conv:1")
	if err != nil {
		t.Fatal(err)
	}
	defer onB.Close()
	onB2, _ := b.Subscribe(ctx, "conv:1") // shares b's Redis subscription
	defer onB2.Close()
	onA, _ := a.Subscribe(ctx, "conv:1")
	defer onA.Close()
	stranger, _ := elsewhere.Subscribe(ctx, "conv:1")
	defer stranger.Close()

	if err := a.Publish(ctx, "conv:1", []byte("hello")); err != nil {
		t.Fatal(err)
	}
	receive(t, onB, "hello")
	receive(t, onB2, "hello")
	receive(t, onA, "hello")
	select {
	case got := <-stranger.C():
		t.Errorf("another prefix's subscriber got %q", got)
	case <-time.After(100 * time.Millisecond):
	}

	// The last local subscriber leaving unsubscribes; a new one gets
	// events again.
	onA.Close()
	again, err := a.Subscribe(ctx, "conv:1")
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	b.Publish(ctx, "conv:1", []byte("again"))
	receive(t, again, "again")
}

// TestBusSharesOneConnection: subscribers of many topics use one pub/sub
// connection per Store.
func TestBusSharesOneConnection(t *testing.T) {
	t.Parallel()
	url := testURL(t)
	name := "hotline-test-" + newToken()[:8]
	s := newStore(t, func(c *Config) { c.URL = withQuery(url, "client_name="+name) })
	ctx := context.Background()
	for i := range 50 {
		sub, err := s.Subscribe(ctx, "conv:"+strings.Repeat("x", i+1))
		if err != nil {
			t.Fatal(err)
		}
		defer sub.Close()
	}
	if ids := pubsubClients(t, url, name); len(ids) != 1 {
		t.Errorf("%d pub/sub connections for 50 topics, want 1", len(ids))
	}
}

// TestResyncAfterConnectionKill: when Redis drops the pub/sub connection,
// the bus reconnects, and every subscriber of the topics it subscribes
// again gets the resync nudge, since events may have been lost meanwhile.
func TestResyncAfterConnectionKill(t *testing.T) {
	t.Parallel()
	url := testURL(t)
	name := "hotline-test-" + newToken()[:8]
	s := newStore(t, func(c *Config) { c.URL = withQuery(url, "client_name="+name) })
	ctx := context.Background()
	conv, err := s.Subscribe(ctx, "conv:1")
	if err != nil {
		t.Fatal(err)
	}
	defer conv.Close()
	kb, _ := s.Subscribe(ctx, store.KnowledgeTopic)
	defer kb.Close()

	raw := rawClient(t, url)
	ids := pubsubClients(t, url, name)
	if len(ids) == 0 {
		t.Fatal("the store's pub/sub connection is not in CLIENT LIST")
	}
	for _, id := range ids {
		// CLIENT KILL TYPE pubsub, narrowed to this store's connection so
		// that tests running beside this one keep theirs.
		if err := raw.Do(ctx, "CLIENT", "KILL", "TYPE", "pubsub", "ID", id).Err(); err != nil {
			t.Fatal(err)
		}
	}
	receive(t, conv, store.ResyncPayload)
	receive(t, kb, store.ResyncPayload)
	s.Publish(ctx, "conv:1", []byte("after"))
	receive(t, conv, "after")
}

// pubsubClients returns the ids of the pub/sub connections named name.
func pubsubClients(t *testing.T, url, name string) []string {
	t.Helper()
	list, err := rawClient(t, url).Do(context.Background(), "CLIENT", "LIST", "TYPE", "pubsub").Text()
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	sc := bufio.NewScanner(strings.NewReader(list))
	for sc.Scan() {
		fields := map[string]string{}
		for _, f := range strings.Fields(sc.Text()) {
			k, v, _ := strings.Cut(f, "=")
			fields[k] = v
		}
		if fields["name"] == name {
			ids = append(ids, fields["id"])
		}
	}
	return ids
}
