package room

// The uploader's object put. It writes exactly what nats.go's
// jetstream.ObjectStore.Put writes (the chunks on "$O.<bucket>.C.<nuid>",
// then the ObjectInfo as JSON on "$O.<bucket>.M.<base64url(name)>" with a
// subject rollup, the digest "SHA-256=" + base64url of the object's SHA-256),
// so `podmark pull` reads it through nats.go's Get, GetInfo, List and Watch
// (TestObjPutReadByNATS). What differs is the cost per object, which matters
// because the hand-off puts about 65 objects a minute for the whole show
// (docs/benchmarks.md, "second pass"):
//
//   - nats.go's Put looks the object up first (a request to the relay), and
//     creates a new JetStream context with its own reply subscription (a
//     SUB and an UNSUB, and a goroutine that wakes for each acknowledgement)
//     for every object. Here one reply subscription serves a whole
//     connection attempt of the uploader, delivering into a channel (no
//     goroutine of its own), and the uploader's own listing says which
//     object is replaced (its old chunks are purged afterwards, as nats.go
//     does).
//   - nats.go asks the relay to acknowledge every chunk: each 32 KiB chunk
//     wakes the client's read loop and the reply goroutine. Here only the
//     first chunk and the meta message are acknowledged. The meta message,
//     which makes the object visible, carries Nats-Expected-Last-Sequence:
//     the relay stores it only when the stream's last message is the
//     object's last chunk (first chunk's sequence + chunks - 1), i.e. every
//     chunk was stored, in order, with nothing in between. A chunk lost on
//     the way (a relay restart, a full store) makes the relay refuse the
//     meta message; the put fails and is made again under a new nuid, like
//     any failed put, and nothing half-sent ever looks complete.

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"
	"golang.org/x/time/rate"
)

// ErrPutRefused reports a put the relay refused (an error in its
// acknowledgement: a lost chunk, a full store, a permission).
var ErrPutRefused = errors.New("room: the relay refused the object")

// objPutter puts objects into one bucket over one connection. It is used by
// one goroutine at a time.
type objPutter struct {
	nc     *nats.Conn
	bucket string
	stream string // "OBJ_" + bucket
	apiPre string // "$JS.API"
	inbox  string // reply subjects are inbox + "." + n
	acks   chan *nats.Msg
	sub    *nats.Subscription
	n      uint64 // the last reply token used
}

// replyBuffer holds the acknowledgements and purge replies not read yet
// (two per object plus a purge at most): far more than one put leaves.
const replyBuffer = 256

func newObjPutter(nc *nats.Conn, bucket string) (*objPutter, error) {
	p := &objPutter{nc: nc, bucket: bucket, stream: "OBJ_" + bucket, apiPre: jetstream.DefaultAPIPrefix,
		inbox: nc.NewInbox(), acks: make(chan *nats.Msg, replyBuffer)}
	p.apiPre = strings.TrimSuffix(p.apiPre, ".")
	sub, err := nc.ChanSubscribe(p.inbox+".*", p.acks)
	if err != nil {
		return nil, fmt.Errorf("room: reply subscription: %w", err)
	}
	p.sub = sub
	return p, nil
}

// Close ends the reply subscription.
func (p *objPutter) Close() {
	if p.sub != nil {
		_ = p.sub.Unsubscribe()
	}
}

func (p *objPutter) reply() string {
	p.n++
	return p.inbox + "." + strconv.FormatUint(p.n, 10)
}

// Put stores data as object meta.Name (chunks of meta.Opts.ChunkSize, or
// UploadChunk), waiting on lim for the tokens of each chunk before it is
// published (nil: no cap). old is the object's info before the put, or nil:
// its chunks are purged once the new object is in place. It returns the new
// object's info.
func (p *objPutter) Put(ctx context.Context, meta jetstream.ObjectMeta, data []byte, lim *rate.Limiter, old *jetstream.ObjectInfo) (*jetstream.ObjectInfo, error) {
	if meta.Name == "" {
		return nil, jetstream.ErrBadObjectMeta
	}
	if meta.Opts == nil {
		meta.Opts = &jetstream.ObjectMetaOptions{}
	}
	if meta.Opts.ChunkSize == 0 {
		meta.Opts.ChunkSize = UploadChunk
	}
	p.drain()
	nid := nuid.Next() // the chunk subject's token, as nats.go's Put makes it
	chunkSubj := "$O." + p.bucket + ".C." + nid
	info := &jetstream.ObjectInfo{ObjectMeta: meta, Bucket: p.bucket, NUID: nid}
	h := sha256.New()
	size := int(meta.Opts.ChunkSize)
	var firstReply string
	chunks := 0
	for off := 0; off < len(data); off += size {
		c := data[off:min(off+size, len(data))]
		if lim != nil {
			for k := len(c); k > 0; {
				m := min(k, lim.Burst())
				if err := lim.WaitN(ctx, m); err != nil {
					p.purge(chunkSubj)
					return nil, err
				}
				k -= m
			}
		}
		h.Write(c)
		m := &nats.Msg{Subject: chunkSubj, Data: c}
		if chunks == 0 {
			firstReply = p.reply()
			m.Reply = firstReply
		}
		if err := p.nc.PublishMsg(m); err != nil {
			p.purge(chunkSubj)
			return nil, err
		}
		chunks++
	}
	info.Size, info.Chunks, info.Digest = uint64(len(data)), uint32(chunks), jetstream.GetObjectDigestValue(h)

	mm := nats.NewMsg("$O." + p.bucket + ".M." + base64.URLEncoding.EncodeToString([]byte(meta.Name)))
	mm.Header.Set(jetstream.MsgRollup, jetstream.MsgRollupSubject)
	if chunks > 0 {
		ack, err := p.wait(ctx, firstReply)
		if err != nil {
			p.purge(chunkSubj)
			return nil, err
		}
		mm.Header.Set(jetstream.ExpectedLastSeqHeader, strconv.FormatUint(ack.Sequence+uint64(chunks)-1, 10))
	}
	var err error
	if mm.Data, err = json.Marshal(info); err != nil {
		return nil, fmt.Errorf("room: %s: %w", meta.Name, err)
	}
	mm.Reply = p.reply()
	if err := p.nc.PublishMsg(mm); err != nil {
		p.purge(chunkSubj)
		return nil, err
	}
	if _, err := p.wait(ctx, mm.Reply); err != nil {
		p.purge(chunkSubj)
		return nil, err
	}
	if old != nil && old.NUID != "" && old.NUID != nid && !old.Deleted {
		p.purge("$O." + p.bucket + ".C." + old.NUID)
	}
	info.ModTime = time.Now().UTC() // as nats.go's Put returns it (the stored meta has none)
	return info, nil
}

// purge asks the relay to drop the messages of subj (the chunks of a
// replaced object or of a put that failed). It does not wait for the answer:
// a purge that does not happen leaves unreachable chunks, nothing wrong.
func (p *objPutter) purge(subj string) {
	b, _ := json.Marshal(struct {
		Filter string `json:"filter"`
	}{subj})
	_ = p.nc.PublishRequest(p.apiPre+".STREAM.PURGE."+p.stream, p.reply(), b)
}

// drain drops replies nobody waits for any more (purges, a put that
// failed).
func (p *objPutter) drain() {
	for {
		select {
		case <-p.acks:
		default:
			return
		}
	}
}

// pubAck is the relay's answer to a publish into a stream.
type pubAck struct {
	Stream   string `json:"stream"`
	Sequence uint64 `json:"seq"`
	Error    *struct {
		Code        int    `json:"code"`
		ErrCode     int    `json:"err_code"`
		Description string `json:"description"`
	} `json:"error"`
}

// wait returns the acknowledgement on subject reply, skipping others.
func (p *objPutter) wait(ctx context.Context, reply string) (pubAck, error) {
	for {
		select {
		case <-ctx.Done():
			return pubAck{}, ctx.Err()
		case m := <-p.acks:
			if m.Subject != reply {
				continue
			}
			var a pubAck
			if len(m.Data) == 0 {
				if m.Header.Get("Status") == "503" {
					return a, fmt.Errorf("%w: no stream %s answers", ErrPutRefused, p.stream)
				}
				return a, fmt.Errorf("%w: empty acknowledgement", ErrPutRefused)
			}
			if err := json.Unmarshal(m.Data, &a); err != nil {
				return a, fmt.Errorf("%w: acknowledgement %q: %v", ErrPutRefused, OneLine(string(m.Data), MaxTitle), err)
			}
			if a.Error != nil {
				return a, fmt.Errorf("%w: %s (code %d)", ErrPutRefused, OneLine(a.Error.Description, MaxTitle), a.Error.ErrCode)
			}
			if a.Stream != p.stream {
				return a, fmt.Errorf("%w: acknowledged by stream %q, not %s", ErrPutRefused, a.Stream, p.stream)
			}
			return a, nil
		}
	}
}
