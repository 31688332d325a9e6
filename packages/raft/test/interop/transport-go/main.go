// Command transport-go drives hashicorp/raft 1.1.2's NetworkTransport against the TypeScript
// one. "serve" answers every RPC deterministically and prints what it received as JSON lines;
// "call" sends a fixed sequence of RPCs to -target and prints the responses as JSON lines.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"hash/crc64"
	"io"
	"io/ioutil"
	"os"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
)

func emit(v interface{}) {
	b, _ := json.Marshal(v)
	fmt.Println(string(b))
}

func snapshotData(size int) []byte {
	b := make([]byte, size)
	for i := range b {
		b[i] = byte(i*31 + 7)
	}
	return b
}

func main() {
	bind := flag.String("bind", "127.0.0.1:0", "listen address")
	target := flag.String("target", "", "address of the peer for call")
	flag.Parse()
	logger := hclog.New(&hclog.LoggerOptions{Output: os.Stderr, Level: hclog.Error})
	trans, err := raft.NewTCPTransportWithLogger(*bind, nil, 3, 5*time.Second, logger)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	switch flag.Arg(0) {
	case "serve":
		serve(trans)
	case "call":
		call(trans, raft.ServerAddress(*target))
	default:
		fmt.Fprintln(os.Stderr, "usage: transport-go [-bind addr] serve | -target addr call")
		os.Exit(2)
	}
}

func serve(trans *raft.NetworkTransport) {
	trans.SetHeartbeatHandler(func(rpc raft.RPC) {
		emit(map[string]interface{}{"type": "Heartbeat", "cmd": rpc.Command})
		rpc.Respond(&raft.AppendEntriesResponse{RPCHeader: raft.RPCHeader{ProtocolVersion: 3}, Term: 1, Success: true}, nil)
	})
	emit(map[string]interface{}{"listening": string(trans.LocalAddr())})
	for rpc := range trans.Consumer() {
		switch cmd := rpc.Command.(type) {
		case *raft.AppendEntriesRequest:
			emit(map[string]interface{}{"type": "AppendEntries", "cmd": cmd})
			last := cmd.PrevLogEntry
			if n := len(cmd.Entries); n > 0 {
				last = cmd.Entries[n-1].Index
			}
			rpc.Respond(&raft.AppendEntriesResponse{RPCHeader: raft.RPCHeader{ProtocolVersion: 3}, Term: cmd.Term, LastLog: last, Success: true}, nil)
		case *raft.RequestVoteRequest:
			emit(map[string]interface{}{"type": "RequestVote", "cmd": cmd})
			rpc.Respond(nil, fmt.Errorf("unsupported protocol"))
		case *raft.TimeoutNowRequest:
			emit(map[string]interface{}{"type": "TimeoutNow", "cmd": cmd})
			rpc.Respond(&raft.TimeoutNowResponse{RPCHeader: raft.RPCHeader{ProtocolVersion: 3}}, nil)
		case *raft.InstallSnapshotRequest:
			data, err := ioutil.ReadAll(rpc.Reader)
			ok := err == nil && bytes.Equal(data, snapshotData(int(cmd.Size)))
			emit(map[string]interface{}{"type": "InstallSnapshot", "cmd": cmd, "received": len(data), "intact": ok})
			rpc.Respond(&raft.InstallSnapshotResponse{Term: uint64(len(data)), Success: ok}, nil)
		}
	}
}

func call(trans *raft.NetworkTransport, target raft.ServerAddress) {
	hdr := raft.RPCHeader{ProtocolVersion: 3}
	leader := trans.EncodePeer("go", trans.LocalAddr())
	var aer raft.AppendEntriesResponse
	err := trans.AppendEntries("ts", target, &raft.AppendEntriesRequest{RPCHeader: hdr, Term: 4, Leader: leader, PrevLogEntry: 10, PrevLogTerm: 3,
		Entries: []*raft.Log{{Index: 11, Term: 4, Type: raft.LogCommand, Data: []byte("hello")}, {Index: 12, Term: 4, Type: raft.LogNoop}}, LeaderCommitIndex: 9}, &aer)
	emit(map[string]interface{}{"rpc": "AppendEntries", "resp": aer, "err": errText(err)})

	aer = raft.AppendEntriesResponse{}
	err = trans.AppendEntries("ts", target, &raft.AppendEntriesRequest{RPCHeader: hdr, Term: 4, Leader: leader}, &aer)
	emit(map[string]interface{}{"rpc": "Heartbeat", "resp": aer, "err": errText(err)})

	var rvr raft.RequestVoteResponse
	err = trans.RequestVote("ts", target, &raft.RequestVoteRequest{RPCHeader: hdr, Term: 5, Candidate: leader, LastLogIndex: 12, LastLogTerm: 4}, &rvr)
	emit(map[string]interface{}{"rpc": "RequestVote", "resp": rvr, "err": errText(err)})

	var tnr raft.TimeoutNowResponse
	err = trans.TimeoutNow("ts", target, &raft.TimeoutNowRequest{RPCHeader: hdr}, &tnr)
	emit(map[string]interface{}{"rpc": "TimeoutNow", "resp": tnr, "err": errText(err)})

	size := 1<<20 + 3
	var isr raft.InstallSnapshotResponse
	err = trans.InstallSnapshot("ts", target, &raft.InstallSnapshotRequest{RPCHeader: hdr, SnapshotVersion: 1, Term: 5, Leader: leader,
		LastLogIndex: 500, LastLogTerm: 5, ConfigurationIndex: 1, Size: int64(size)}, &isr, bytes.NewReader(snapshotData(size)))
	emit(map[string]interface{}{"rpc": "InstallSnapshot", "resp": isr, "err": errText(err),
		"crc": crc64.Checksum(snapshotData(size), crc64.MakeTable(crc64.ECMA))})

	pipe, err := trans.AppendEntriesPipeline("ts", target)
	if err != nil {
		emit(map[string]interface{}{"rpc": "Pipeline", "err": errText(err)})
		return
	}
	const n = 200
	go func() {
		for i := 0; i < n; i++ {
			req := &raft.AppendEntriesRequest{RPCHeader: hdr, Term: 6, Leader: leader, PrevLogEntry: uint64(i), PrevLogTerm: 6,
				Entries: []*raft.Log{{Index: uint64(i + 1), Term: 6, Data: bytes.Repeat([]byte{byte(i)}, 128)}}, LeaderCommitIndex: uint64(i)}
			if _, err := pipe.AppendEntries(req, &raft.AppendEntriesResponse{}); err != nil {
				emit(map[string]interface{}{"rpc": "Pipeline", "err": errText(err)})
				return
			}
		}
	}()
	inOrder := true
	for i := 0; i < n; i++ {
		select {
		case f := <-pipe.Consumer():
			if f.Error() != nil || f.Response().LastLog != uint64(i+1) {
				inOrder = false
			}
		case <-time.After(10 * time.Second):
			inOrder = false
			i = n
		}
	}
	pipe.Close()
	emit(map[string]interface{}{"rpc": "Pipeline", "count": n, "inOrder": inOrder})
	trans.Close()
	_ = io.EOF
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
