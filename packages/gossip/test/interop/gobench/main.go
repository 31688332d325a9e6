// Go twin of nomadic-gossipbench: N memberlist 0.2.2 nodes in one process on 127.0.0.1.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io/ioutil"
	"os"
	"strings"
	"sync/atomic"
	"time"

	metrics "github.com/armon/go-metrics"
	"github.com/hashicorp/memberlist"
)

// byteSink adds up memberlist's udp/tcp "sent" counters (bytes written).
type byteSink struct {
	metrics.BlackholeSink
	bytes int64
}

func (s *byteSink) IncrCounter(key []string, val float32) {
	k := strings.Join(key, ".")
	if strings.HasSuffix(k, "memberlist.udp.sent") || strings.HasSuffix(k, "memberlist.tcp.sent") {
		atomic.AddInt64(&s.bytes, int64(val))
	}
}
func (s *byteSink) IncrCounterWithLabels(key []string, val float32, labels []metrics.Label) {
	s.IncrCounter(key, val)
}

func main() {
	n := flag.Int("n", 16, "nodes")
	config := flag.String("config", "lan", "lan|wan|local")
	window := flag.Duration("window", 10*time.Second, "measurement window")
	settle := flag.Duration("settle", 0, "wait after convergence before the window (the join broadcasts drain)")
	flag.Parse()

	sink := &byteSink{}
	mc := metrics.DefaultConfig("")
	mc.EnableHostname = false
	mc.EnableRuntimeMetrics = false
	metrics.NewGlobal(mc, sink)

	start := time.Now()
	nodes := make([]*memberlist.Memberlist, *n)
	for i := 0; i < *n; i++ {
		var conf *memberlist.Config
		switch *config {
		case "wan":
			conf = memberlist.DefaultWANConfig()
		case "local":
			conf = memberlist.DefaultLocalConfig()
		default:
			conf = memberlist.DefaultLANConfig()
		}
		conf.Name = fmt.Sprintf("go-%d", i)
		conf.BindAddr = "127.0.0.1"
		conf.BindPort = 0
		conf.LogOutput = ioutil.Discard
		ml, err := memberlist.Create(conf)
		if err != nil {
			panic(err)
		}
		nodes[i] = ml
		if i > 0 {
			first := nodes[0].LocalNode()
			if _, err := ml.Join([]string{fmt.Sprintf("%s:%d", first.Addr, first.Port)}); err != nil {
				panic(err)
			}
		}
	}
	joinedMs := time.Since(start).Milliseconds()
	lastReport := time.Now()
	for {
		ok := true
		min := *n
		for _, ml := range nodes {
			if c := ml.NumMembers(); c != *n {
				ok = false
				if c < min {
					min = c
				}
			}
		}
		if ok {
			break
		}
		if os.Getenv("BENCH_VERBOSE") != "" && time.Since(lastReport) > 2*time.Second {
			fmt.Fprintf(os.Stderr, "joined at %d ms; now %d ms, fewest members seen %d\n", joinedMs, time.Since(start).Milliseconds(), min)
			lastReport = time.Now()
		}
		time.Sleep(10 * time.Millisecond)
	}
	convergeMs := time.Since(start).Milliseconds()

	// Bytes per node per second in 1 s slices from convergence (printed with BENCH_VERBOSE).
	slices := []string{}
	measure := func(d time.Duration) {
		for t := time.Duration(0); t < d; t += time.Second {
			step := d - t
			if step > time.Second {
				step = time.Second
			}
			was := atomic.LoadInt64(&sink.bytes)
			time.Sleep(step)
			slices = append(slices, fmt.Sprint(int64(float64(atomic.LoadInt64(&sink.bytes)-was)/float64(*n)/step.Seconds()+0.5)))
		}
	}
	measure(*settle)
	before := atomic.LoadInt64(&sink.bytes)
	joinBytesPerNode := float64(before) / float64(*n)
	windowStart := time.Now()
	measure(*window)
	sent := atomic.LoadInt64(&sink.bytes) - before
	bytesPerNodePerSec := float64(sent) / float64(*n) / time.Since(windowStart).Seconds()
	if os.Getenv("BENCH_VERBOSE") != "" {
		fmt.Fprintf(os.Stderr, "bytes per node per second, 1 s slices from convergence: %s\n", strings.Join(slices, " "))
	}

	last := nodes[*n-1]
	lastName := last.LocalNode().Name
	last.Shutdown()
	killed := time.Now()
	for {
		done := true
		for _, ml := range nodes[:*n-1] {
			for _, m := range ml.Members() {
				if m.Name == lastName {
					done = false
				}
			}
		}
		if done {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	detectAllMs := time.Since(killed).Milliseconds()
	for _, ml := range nodes[:*n-1] {
		ml.Shutdown()
	}
	out, _ := json.Marshal(map[string]interface{}{
		"impl": "go-memberlist-0.2.2", "config": *config, "nodes": *n,
		"convergeMs": convergeMs, "bytesPerNodePerSec": bytesPerNodePerSec, "detectAllMs": detectAllMs,
		"joinBytesPerNode": joinBytesPerNode,
	})
	fmt.Fprintln(os.Stdout, string(out))
}
