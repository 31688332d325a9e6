// Command golden prints hashicorp/raft 1.1.2 wire encodings (go-msgpack 0.5.5, the handle raft
// uses) as JSON {name: hex}, so the TypeScript codec can be checked byte for byte. With -decode
// it reads "name hex" lines on stdin, decodes each into the named raft type, re-encodes it and
// prints the result, so Go can check what TypeScript wrote.
package main

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/hashicorp/go-msgpack/codec"
	"github.com/hashicorp/raft"
)

func enc(v interface{}) string {
	var buf bytes.Buffer
	if err := codec.NewEncoder(&buf, &codec.MsgpackHandle{}).Encode(v); err != nil {
		panic(err)
	}
	return hex.EncodeToString(buf.Bytes())
}

func newValue(name string) interface{} {
	switch {
	case strings.HasPrefix(name, "AppendEntriesRequest"):
		return &raft.AppendEntriesRequest{}
	case strings.HasPrefix(name, "AppendEntriesResponse"):
		return &raft.AppendEntriesResponse{}
	case strings.HasPrefix(name, "RequestVoteRequest"):
		return &raft.RequestVoteRequest{}
	case strings.HasPrefix(name, "RequestVoteResponse"):
		return &raft.RequestVoteResponse{}
	case strings.HasPrefix(name, "InstallSnapshotRequest"):
		return &raft.InstallSnapshotRequest{}
	case strings.HasPrefix(name, "InstallSnapshotResponse"):
		return &raft.InstallSnapshotResponse{}
	case strings.HasPrefix(name, "TimeoutNowRequest"):
		return &raft.TimeoutNowRequest{}
	case strings.HasPrefix(name, "TimeoutNowResponse"):
		return &raft.TimeoutNowResponse{}
	case strings.HasPrefix(name, "Log"):
		return &raft.Log{}
	case strings.HasPrefix(name, "Configuration"):
		return &raft.Configuration{}
	}
	panic("unknown type " + name)
}

func main() {
	decode := flag.Bool("decode", false, "re-encode values read from stdin")
	flag.Parse()
	if *decode {
		in := bufio.NewScanner(os.Stdin)
		in.Buffer(make([]byte, 1<<20), 64<<20)
		for in.Scan() {
			parts := strings.Fields(in.Text())
			if len(parts) != 2 {
				continue
			}
			raw, err := hex.DecodeString(parts[1])
			if err != nil {
				panic(err)
			}
			v := newValue(parts[0])
			if err := codec.NewDecoderBytes(raw, &codec.MsgpackHandle{}).Decode(v); err != nil {
				fmt.Printf("%s error %v\n", parts[0], err)
				continue
			}
			fmt.Printf("%s %s\n", parts[0], enc(v))
		}
		return
	}

	hdr := raft.RPCHeader{ProtocolVersion: 3}
	conf := raft.Configuration{Servers: []raft.Server{
		{Suffrage: raft.Voter, ID: "n1", Address: "127.0.0.1:7001"},
		{Suffrage: raft.Nonvoter, ID: "n2", Address: "127.0.0.1:7002"},
		{Suffrage: raft.Staging, ID: "n3", Address: "127.0.0.1:7003"},
	}}
	confBytes, _ := hex.DecodeString(enc(conf))
	big := bytes.Repeat([]byte{0xab}, 300)
	out := map[string]string{
		"AppendEntriesRequest.heartbeat": enc(&raft.AppendEntriesRequest{RPCHeader: hdr, Term: 5, Leader: []byte("10.0.0.1:4647")}),
		"AppendEntriesRequest.entries": enc(&raft.AppendEntriesRequest{RPCHeader: hdr, Term: 7, Leader: []byte("127.0.0.1:7001"),
			PrevLogEntry: 300, PrevLogTerm: 6, LeaderCommitIndex: 70000, Entries: []*raft.Log{
				{Index: 301, Term: 7, Type: raft.LogCommand, Data: []byte{1, 2, 3}},
				{Index: 302, Term: 7, Type: raft.LogNoop},
				{Index: 303, Term: 7, Type: raft.LogConfiguration, Data: confBytes},
				{Index: 304, Term: 7, Type: raft.LogCommand, Data: big, Extensions: []byte("ext")},
			}}),
		"AppendEntriesRequest.bigIndex": enc(&raft.AppendEntriesRequest{RPCHeader: hdr, Term: 1 << 33, Leader: []byte("a"),
			PrevLogEntry: 1<<53 - 1, PrevLogTerm: 1 << 32, LeaderCommitIndex: 4294967295}),
		"AppendEntriesResponse.ok":       enc(&raft.AppendEntriesResponse{RPCHeader: hdr, Term: 7, LastLog: 304, Success: true}),
		"AppendEntriesResponse.noretry":  enc(&raft.AppendEntriesResponse{RPCHeader: hdr, Term: 9, LastLog: 12, NoRetryBackoff: true}),
		"RequestVoteRequest.plain":       enc(&raft.RequestVoteRequest{RPCHeader: hdr, Term: 8, Candidate: []byte("127.0.0.1:7002"), LastLogIndex: 304, LastLogTerm: 7}),
		"RequestVoteRequest.transfer":    enc(&raft.RequestVoteRequest{RPCHeader: hdr, Term: 9, Candidate: []byte("127.0.0.1:7003"), LastLogIndex: 1, LastLogTerm: 1, LeadershipTransfer: true}),
		"RequestVoteResponse.granted":    enc(&raft.RequestVoteResponse{RPCHeader: hdr, Term: 8, Granted: true}),
		"RequestVoteResponse.refused":    enc(&raft.RequestVoteResponse{RPCHeader: hdr, Term: 8}),
		"InstallSnapshotRequest.v1": enc(&raft.InstallSnapshotRequest{RPCHeader: hdr, SnapshotVersion: 1, Term: 7, Leader: []byte("127.0.0.1:7001"),
			LastLogIndex: 9000, LastLogTerm: 6, Peers: []byte{0x91, 0xae, '1', '2', '7', '.', '0', '.', '0', '.', '1', ':', '7', '0', '0', '1'},
			Configuration: confBytes, ConfigurationIndex: 3, Size: 300}),
		"InstallSnapshotResponse.ok":     enc(&raft.InstallSnapshotResponse{Term: 7, Success: true}),
		"TimeoutNowRequest.v3":           enc(&raft.TimeoutNowRequest{RPCHeader: hdr}),
		"TimeoutNowResponse.v3":          enc(&raft.TimeoutNowResponse{RPCHeader: hdr}),
		"Log.command":                    enc(&raft.Log{Index: 11, Term: 5, Type: raft.LogCommand, Data: []byte{1, 2}}),
		"Log.barrier":                    enc(&raft.Log{Index: 12, Term: 5, Type: raft.LogBarrier}),
		"Configuration.three":            enc(conf),
		"string.empty":                   enc(""),
		"string.error":                   enc("unsupported protocol"),
		"nil":                            enc(nil),
	}
	b, _ := json.MarshalIndent(out, "", "  ")
	fmt.Println(string(b))
}
