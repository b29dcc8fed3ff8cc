package ledger

import (
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"sort"
	"strconv"

	bolt "go.etcd.io/bbolt"

	"ticketkiosk/internal/boltutil"
	"ticketkiosk/journal"
)

// Seal is a device's signature over a run of its journal: the entries First..Last whose
// last entry hashes to Head. Each entry carries the hash of the one before it, so the
// signature over Head proves every entry of the run (and, with the chain stored before it,
// every entry up to Last).
type Seal struct {
	First, Last uint64
	Head        journal.Hash
	Sig         []byte // Ed25519 by the device key over SealMessage
}

// SealMessage is what a device signs for a run of its journal.
func SealMessage(device string, first, last uint64, head journal.Hash) []byte {
	b := make([]byte, 0, 40+len(device)+64+40)
	b = append(b, "ticketkiosk/journal/v2\n"...)
	b = append(b, device...)
	b = append(b, '\n')
	b = strconv.AppendUint(b, first, 10)
	b = append(b, '\n')
	b = strconv.AppendUint(b, last, 10)
	b = append(b, '\n')
	return append(b, head.String()...)
}

// Sign returns the seal of the run first..last ending in head, signed by key.
func Sign(key ed25519.PrivateKey, device string, first, last uint64, head journal.Hash) Seal {
	return Seal{First: first, Last: last, Head: head, Sig: ed25519.Sign(key, SealMessage(device, first, last, head))}
}

// Verify reports whether the seal is the device's signature, made with the key of pub.
func (s Seal) Verify(device string, pub ed25519.PublicKey) bool {
	return len(pub) == ed25519.PublicKeySize && len(s.Sig) == ed25519.SignatureSize &&
		s.First >= 1 && s.First <= s.Last &&
		ed25519.Verify(pub, SealMessage(device, s.First, s.Last, s.Head), s.Sig)
}

// Sealed is a device's entries as they arrived, with the seals of the batches they came in,
// each already verified by the caller.
type Sealed struct {
	Entries []*journal.Entry
	Seals   []Seal
}

// bSeals, in a device bucket: last seq → first seq (8 bytes) + signature (64 bytes).
var bSeals = []byte("g")

// keepSeals stores, after the run, the seals whose last entry is now stored with the hash
// they name; a seal over entries not stored (beyond a gap, a conflict) is not kept, and its
// batch is not acknowledged beyond what is stored.
func (in *ingest) keepSeals(seals []Seal) error {
	if len(seals) == 0 {
		return nil
	}
	b, err := in.dev.CreateBucketIfNotExists(bSeals)
	if err != nil {
		return err
	}
	for _, s := range seals {
		if s.Last > in.last || len(s.Sig) != ed25519.SignatureSize {
			continue
		}
		k := boltutil.U64(s.Last)
		if b.Get(k) != nil {
			continue
		}
		if sha256.Sum256(in.ents.Get(k)) != s.Head {
			continue
		}
		v := append(boltutil.U64(s.First), s.Sig...)
		if err := b.Put(k, v); err != nil {
			return err
		}
	}
	return nil
}

// dropSeals forgets the seals of runs that end at or after seq from, whose entries were set
// aside: the entries that take their seqs come with seals of their own.
func dropSeals(dev *bolt.Bucket, from uint64) error {
	b := dev.Bucket(bSeals)
	if b == nil {
		return nil
	}
	var drop [][]byte
	c := b.Cursor()
	for k, _ := c.Seek(boltutil.U64(from)); k != nil; k, _ = c.Next() {
		drop = append(drop, append([]byte(nil), k...))
	}
	for _, k := range drop {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// Errors of Audit.
var (
	ErrUnsealed   = errors.New("no device signature covers it")
	ErrBadSeal    = errors.New("device signature does not verify")
	ErrUnknownKey = errors.New("device has no registered key")
)

// AuditProblem is the first entry of a device that Audit could not prove.
type AuditProblem struct {
	Device string
	Seq    uint64
	Err    error
}

func (p AuditProblem) Error() string {
	return fmt.Sprintf("%s seq %d: %v", p.Device, p.Seq, p.Err)
}

// AuditReport is what Audit proved: entries and seals checked, and per device the first
// entry that is not proved (none when every stored entry is).
type AuditReport struct {
	Devices  int
	Entries  uint64
	Seals    int
	Problems []AuditProblem // in device order, at most one per device
}

// Audit re-proves every stored entry from the devices' public keys alone: each device's
// entries decode, run 1, 2, … without a gap, each carries the hash of the one before, and
// each lies within a run whose last entry is signed by the device (a kept Seal). It reads
// the ledger only.
func (l *Ledger) Audit(keys func(device string) (ed25519.PublicKey, bool)) (AuditReport, error) {
	var rep AuditReport
	err := l.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bDevices).ForEachBucket(func(name []byte) error {
			device := string(name)
			dev := tx.Bucket(bDevices).Bucket(name)
			rep.Devices++
			n, seals, p := auditDevice(device, dev, keys)
			rep.Entries += n
			rep.Seals += seals
			if p != nil {
				rep.Problems = append(rep.Problems, *p)
			}
			return nil
		})
	})
	sort.Slice(rep.Problems, func(i, j int) bool { return rep.Problems[i].Device < rep.Problems[j].Device })
	return rep, err
}

// auditDevice proves one device's entries; it returns how many it proved, the seals that
// verified and the first problem.
func auditDevice(device string, dev *bolt.Bucket, keys func(string) (ed25519.PublicKey, bool)) (uint64, int, *AuditProblem) {
	ents := dev.Bucket(bEntries)
	if ents == nil || ents.Stats().KeyN == 0 {
		return 0, 0, nil
	}
	bad := func(seq uint64, err error) *AuditProblem { return &AuditProblem{Device: device, Seq: seq, Err: err} }
	pub, ok := keys(device)
	if !ok {
		return 0, 0, bad(1, ErrUnknownKey)
	}
	// The signed heads, by last seq.
	type sealed struct {
		first uint64
		sig   []byte
	}
	heads := map[uint64]sealed{}
	if sb := dev.Bucket(bSeals); sb != nil {
		_ = sb.ForEach(func(k, v []byte) error {
			if len(k) == 8 && len(v) == 8+ed25519.SignatureSize {
				heads[boltutil.GetU64(k)] = sealed{first: boltutil.GetU64(v[:8]), sig: v[8:]}
			}
			return nil
		})
	}
	var (
		prev     journal.Hash
		last     uint64
		unproved uint64 // the first seq not yet under a verified seal (0: none)
		seals    int
	)
	c := ents.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		seq := boltutil.GetU64(k)
		e, err := journal.Decode(v)
		if err != nil {
			return last, seals, bad(seq, err)
		}
		if e.Seq != seq || e.Device != device {
			return last, seals, bad(seq, fmt.Errorf("stored under seq %d of %q: entry says seq %d of %q", seq, device, e.Seq, e.Device))
		}
		if err := journal.Follows(last, prev, e); err != nil {
			return last, seals, bad(seq, err)
		}
		prev = sha256.Sum256(v)
		if unproved == 0 {
			unproved = seq
		}
		if s, ok := heads[seq]; ok {
			if !(Seal{First: s.first, Last: seq, Head: prev, Sig: s.sig}).Verify(device, pub) {
				return last, seals, bad(s.first, fmt.Errorf("%w (seal %d..%d)", ErrBadSeal, s.first, seq))
			}
			seals++
			unproved = 0
		}
		last = seq
	}
	if unproved != 0 {
		return unproved - 1, seals, bad(unproved, ErrUnsealed)
	}
	return last, seals, nil
}

// AlarmSignature: batches that were not stored because they are not signed by the key
// registered for the device, or come from a device that is not registered (Device is then
// UnknownDevice). The hub raises it once per device per interval, not once per message.
const AlarmSignature AlarmKind = "signature"

// UnknownDevice is the device of the one alarm that gathers batches from unregistered
// device ids, so that made-up ids cannot fill the alarms.
const UnknownDevice = "(unregistered)"

// Raise records (or counts up) an alarm that no ingest found: the hub's refusals of
// batches it did not let in.
func (l *Ledger) Raise(device string, kind AlarmKind, detail string) error {
	now := l.opt.Clock.Now()
	var a Alarm
	err := l.update(func(tx *bolt.Tx) error {
		in := &ingest{l: l, tx: tx, device: device, now: now}
		var res Result
		in.alarm(&res, kind, 0, detail)
		a = res.Alarms[0]
		return nil
	})
	if err == nil {
		l.log.Error("journal alarm", "device", a.Device, "kind", a.Kind, "detail", a.Detail, "count", a.Count)
	}
	return err
}
