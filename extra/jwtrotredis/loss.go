package jwtrotredis

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jwtrot/jwtrot/jwtrot"
	"github.com/redis/rueidis"
)

// Loss detection (SPEC §12.3, the package guide's "When Redis forgets").
//
// Every primary holds an epoch marker, <prefix>e:{<tag>}, with a tag that
// puts it in one of that primary's slots (a single server: the tag "0").
// Its value is "<created>:<lost>", two Unix-nanosecond instants: when the
// marker was written, and the last loss any instance recorded (0: none).
// A store that forgets its data forgets the marker with it. A check reads,
// for every primary, INFO (role, run_id, master_replid, master_replid2,
// evicted_keys) and the marker (SET NX GET: it is recreated if gone), and
// records a loss at the check's instant when:
//
//   - the marker is gone after this Revoker saw it or any primary
//     (a restart without persistence, FLUSHALL, a restored older
//     snapshot, an eviction of the marker);
//   - the marker was recreated by another instance (its created instant
//     changed) or holds a later loss (another instance recorded one);
//   - a primary is a replica this Revoker saw promoted (its master_replid2
//     is a replication id seen before) and writes do not wait for
//     replicas ([WithWaitReplicas]): a replica may lack the last writes;
//   - a primary evicted keys since the last check.
//
// A loss is written into every marker (the later of the two wins), so that
// every instance, and every instance started later within the maximum age,
// refuses the same tokens. A check runs in New, when a connection ends or
// the server flushes (a nil invalidation from rueidis, which arrives before
// any later reply on that connection), when a marker changes (its
// invalidation), and every [WithCheckInterval]. A verification waits for a
// pending check before it answers, so no answer read after a loss is
// served before the loss is known.

// lossState is what the checks remember.
type lossState struct {
	mu      sync.Mutex // serialises checks
	started bool       // a check has completed
	nodes   map[string]nodeState
	tags    map[string]string // tag → the marker's created instant last seen
	replids map[string]bool   // every master_replid seen

	flightMu sync.Mutex
	flight   *flight // the check verifications wait for, if one runs

	lostAt atomic.Int64  // Unix ns of the last loss recorded; 0: none
	want   atomic.Uint64 // bumped when a check is needed
	done   atomic.Uint64 // want as of the last completed check
}

type nodeState struct {
	tag     string
	runID   string
	evicted int64
}

// markerKey is the key of the epoch marker with tag.
func (r *Revoker) markerKey(tag string) string { return r.prefix + "e:{" + tag + "}" }

// isMarker reports whether a Redis key is an epoch marker of this Revoker.
func (r *Revoker) isMarker(key string) bool {
	rest, ok := strings.CutPrefix(key, r.prefix)
	return ok && strings.HasPrefix(rest, "e:{")
}

// lossIn reports whether a token issued at iat may be covered by a lost
// revocation that the policy refuses: issued before the last loss, while
// the loss still matters. One atomic load when nothing was lost.
func (r *Revoker) lossIn(iat time.Time) bool {
	lost := r.loss.lostAt.Load()
	if lost == 0 || r.policy != jwtrot.RefuseAfterLoss || iat.UnixNano() >= lost {
		return false
	}
	maxAge := r.maxAge.Load()
	return maxAge <= 0 || time.Now().UnixNano() < lost+maxAge // unknown: for ever
}

// needCheck asks for a check before the next answer.
func (r *Revoker) needCheck() { r.loss.want.Add(1) }

// pending reports whether a check was asked for and has not completed.
func (r *Revoker) pending() bool { return r.loss.want.Load() != r.loss.done.Load() }

// settle runs the check a verification waits for, and waits for it at
// most the timeout. One check runs at a time, in a goroutine of its own
// bounded by the timeout plus a second; callers that arrive while it runs
// wait for it.
func (r *Revoker) settle(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	st := &r.loss
	st.flightMu.Lock()
	f := st.flight
	if f == nil {
		f = &flight{done: make(chan struct{})}
		st.flight = f
		go func() {
			cctx, cancel := context.WithTimeout(context.Background(), r.timeout+time.Second)
			f.err = r.check(cctx, false)
			cancel()
			st.flightMu.Lock()
			st.flight = nil
			st.flightMu.Unlock()
			close(f.done)
		}()
	}
	st.flightMu.Unlock()
	select {
	case <-f.done:
		return f.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// A flight is one check that verifications wait for.
type flight struct {
	done chan struct{}
	err  error
}

// errMarker reports a marker whose value this package did not write.
var errMarker = errors.New("jwtrotredis: an epoch marker holds a value this package does not write")

// check runs one check of every primary; see the comment at the top of
// this file. force runs it even if none is pending (New, the ticker).
func (r *Revoker) check(ctx context.Context, force bool) error {
	st := &r.loss
	st.mu.Lock()
	defer st.mu.Unlock()
	want := st.want.Load()
	if !force && want == st.done.Load() {
		return nil
	}
	now := time.Now()
	var causes []string
	type primary struct {
		addr   string
		node   rueidis.Client
		info   map[string]string
		marker string // its tag
	}
	var primaries []primary
	for addr, node := range r.client.Nodes() {
		text, err := node.Do(ctx, node.B().Info().Section("server", "replication", "stats").Build()).ToString()
		if err != nil {
			return fmt.Errorf("jwtrotredis: checking %s for lost revocations: %w", addr, err)
		}
		info := parseInfo(text)
		if info["role"] != "master" {
			continue
		}
		primaries = append(primaries, primary{addr: addr, node: node, info: info})
	}
	if len(primaries) == 0 {
		return errors.New("jwtrotredis: checking for lost revocations: no primary answered")
	}
	var lossAt int64 // the loss instant the causes give
	cause := func(c string, at int64) {
		causes = append(causes, c)
		lossAt = max(lossAt, at)
	}
	missing, present := 0, 0
	for i := range primaries {
		p := &primaries[i]
		replid, replid2 := p.info["master_replid"], p.info["master_replid2"]
		if st.started && !st.replids[replid] && st.replids[replid2] && r.waitN == 0 {
			cause("failover", now.UnixNano())
		}
		evicted, _ := strconv.ParseInt(p.info["evicted_keys"], 10, 64)
		prev, seen := st.nodes[p.addr]
		if seen && prev.runID == p.info["run_id"] && evicted > prev.evicted {
			cause("eviction", now.UnixNano())
		}
		tag, err := r.findTag(ctx, p.node, prev.tag)
		if err != nil {
			return fmt.Errorf("jwtrotredis: checking %s for lost revocations: %w", p.addr, err)
		}
		p.marker = tag
		fresh := itoa(now.UnixNano())
		old, err := p.node.Do(ctx, p.node.B().Set().Key(r.markerKey(tag)).Value(fresh+":0").Nx().Get().Build()).ToString()
		switch {
		case rueidis.IsRedisNil(err):
			missing++
			if _, known := st.tags[tag]; known || st.started {
				cause("marker_missing", now.UnixNano())
			}
			st.tags[tag] = fresh
		case err != nil:
			return fmt.Errorf("jwtrotredis: checking %s for lost revocations: %w", p.addr, err)
		default:
			present++
			created, lost, ok := strings.Cut(old, ":")
			if !ok || !digits(created) || !digits(lost) {
				return errMarker
			}
			c, _ := strconv.ParseInt(created, 10, 64)
			l, _ := strconv.ParseInt(lost, 10, 64)
			if known, ok := st.tags[tag]; ok && known != created {
				// Recreated after a loss, which came before it.
				cause("marker_changed", max(c, l))
			} else if l > st.lostAt.Load() {
				cause("recorded", l)
			}
			st.tags[tag] = created
		}
		st.replids[replid] = true
		if replid2 != "" && strings.Trim(replid2, "0") != "" {
			st.replids[replid2] = true
		}
		st.nodes[p.addr] = nodeState{tag: tag, runID: p.info["run_id"], evicted: evicted}
	}
	// A first check that finds some markers but not others: a primary
	// lost its data.
	if !st.started && missing > 0 && present > 0 {
		cause("marker_missing", now.UnixNano())
	}
	if len(causes) > 0 && lossAt > st.lostAt.Load() {
		for _, p := range primaries {
			if err := raiseLoss.Exec(ctx, p.node, []string{r.markerKey(p.marker)}, []string{itoa(lossAt)}).Error(); err != nil {
				return fmt.Errorf("jwtrotredis: recording a loss on %s: %w", p.addr, err)
			}
		}
		r.recordLoss(lossAt, causes[0])
	}
	// Read the markers through the cache, so that Redis tells this client
	// when one changes (an invalidation asks for a check).
	for _, p := range primaries {
		r.client.DoCache(ctx, r.client.B().Get().Key(r.markerKey(p.marker)).Cache(), r.localTTL)
	}
	st.started = true
	st.done.Store(want)
	return nil
}

// findTag returns a tag whose marker key lies in a slot node serves: the
// tag it had, a tag seen on another node (after a failover or a slot
// migration, the marker moved with its slot), or the first of "0", "1", ...
// that the node does not redirect.
func (r *Revoker) findTag(ctx context.Context, node rueidis.Client, prev string) (string, error) {
	try := func(tag string) (bool, error) {
		err := node.Do(ctx, node.B().Exists().Key(r.markerKey(tag)).Build()).Error()
		if re, ok := rueidis.IsRedisErr(err); ok {
			if _, moved := re.IsMoved(); moved {
				return false, nil
			}
			if _, ask := re.IsAsk(); ask {
				return false, nil
			}
		}
		return err == nil, err
	}
	candidates := make([]string, 0, 1+len(r.loss.tags))
	if prev != "" {
		candidates = append(candidates, prev)
	}
	for tag := range r.loss.tags {
		candidates = append(candidates, tag)
	}
	for _, tag := range candidates {
		if ok, err := try(tag); ok || err != nil {
			return tag, err
		}
	}
	for i := range 100000 {
		tag := strconv.Itoa(i)
		if ok, err := try(tag); ok || err != nil {
			return tag, err
		}
	}
	return "", errors.New("no marker slot found on the node")
}

// recordLoss raises the loss instant to at and reports it.
func (r *Revoker) recordLoss(at int64, cause string) {
	for {
		cur := r.loss.lostAt.Load()
		if at <= cur {
			return
		}
		if r.loss.lostAt.CompareAndSwap(cur, at) {
			break
		}
	}
	ev := jwtrot.RevocationLoss{Store: "redis", Cause: cause, At: time.Unix(0, at), Policy: r.policy}
	if maxAge := r.maxAge.Load(); maxAge > 0 {
		ev.Until = ev.At.Add(time.Duration(maxAge))
	}
	r.log.Error("jwtrotredis: the store may have lost revocations", "cause", ev.Cause, "at", ev.At.UTC(), "until", ev.Until.UTC(), "policy", ev.Policy.String())
	if r.onLoss != nil {
		r.onLoss(ev)
	}
}

// LostAt returns the instant of the last loss this Revoker knows of
// (tokens issued before it, within the maximum age, may be covered by a
// forgotten revocation), or the zero Time.
func (r *Revoker) LostAt() time.Time {
	if n := r.loss.lostAt.Load(); n != 0 {
		return time.Unix(0, n)
	}
	return time.Time{}
}

// run checks every interval until stop is closed.
func (r *Revoker) run(interval time.Duration, stop <-chan struct{}) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), r.timeout+time.Second)
			if err := r.check(ctx, true); err != nil {
				// The connection is failing; the next verification's
				// check, or the next tick, tries again.
				r.needCheck()
			}
			cancel()
		}
	}
}

func parseInfo(text string) map[string]string {
	out := map[string]string{}
	for _, line := range strings.Split(text, "\r\n") {
		if k, v, ok := strings.Cut(line, ":"); ok {
			out[k] = v
		}
	}
	return out
}

func digits(s string) bool {
	if s == "" || len(s) > 19 {
		return false
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
