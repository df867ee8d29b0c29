package party

import "context"

// Limits of one step of a SaveParties batch: the most one store
// transaction holds. A batch may be of any size; each store says how it
// writes one larger than a step (docs/adr/0006-imports-of-any-size.md):
// SQLite in one transaction all the same, Firestore in steps of at most
// these limits, in order, each its own transaction.
//
// Firestore used to commit at most 500 writes at once; since March 2023 a
// commit or transaction may hold any number of writes, and what remains is
// the 10 MiB request size (and the 270 s transaction time). MaxBatch bounds
// one transaction's reads. MaxBatchBytes keeps its request under 4 MiB
// whatever the parties' descriptions hold: the Firestore emulator never
// answers a larger commit (800 documents of 5 KB commit in 50 ms there,
// 1,000 hang), and steps this size cost production nothing measurable.
const (
	MaxBatch      = 2000
	MaxBatchBytes = 3 << 20
)

// Repository stores parties. Implementations: the sqlite and firestore
// adapters, both held to one contract suite (partytest).
type Repository interface {
	// Party returns the party with the id, or a NotFound error.
	Party(ctx context.Context, id string) (Party, error)

	// PartiesOf returns every party of the conference, whatever its status,
	// ordered by start then id. An unknown conference has no parties.
	PartiesOf(ctx context.Context, conferenceID string) ([]Party, error)

	// PartiesOwnedBy returns the parties the organizer with the uid
	// submitted, in every conference, ordered by start then id; none for "".
	PartiesOwnedBy(ctx context.Context, uid string) ([]Party, error)

	// CreateParty stores a new party with version 1 and both timestamps set
	// to now. It returns Conflict if the id exists and Invalid if the party
	// breaks an invariant.
	CreateParty(ctx context.Context, p Party) (Party, error)

	// UpdateParty loads the party, applies fn and stores the result in one
	// transaction. When fn changes anything the version grows by one and
	// UpdatedAt is set; when it changes nothing, nothing is written. Errors
	// from fn are returned unchanged and nothing is written. NotFound if the
	// party does not exist; Invalid if the result breaks an invariant; fn may
	// not change the id or conference.
	UpdateParty(ctx context.Context, id string, fn func(*Party) error) (Party, error)

	// SaveParties writes a batch of any size. A party with Version 1 must
	// not exist yet; any other party must be stored with Version-1
	// (optimistic concurrency), else the batch fails with Conflict before
	// anything is written. A party already stored exactly as given (same
	// version, content and timestamps) was saved by an earlier try of the
	// batch: it is skipped, so a batch that was interrupted can be saved
	// again and converges to the state one uninterrupted save gives, each
	// party written and positioned once. Callers set versions and
	// timestamps; the store keeps them. Invalid if a party breaks an
	// invariant, an id appears twice or a party would move to another
	// conference.
	//
	// A batch that fits one step (MaxBatch, MaxBatchBytes) is written
	// atomically by every store. A larger one is atomic in SQLite; Firestore
	// writes it in steps, in the batch's order, each a transaction that
	// checks its parties again (a party changed meanwhile fails that step
	// with Conflict and leaves the steps before it stored). The audit
	// entries pending in the context go with the last step, so they exist
	// only for a batch saved whole. The StepFunc in the context, if any,
	// hears of each step once it is committed.
	SaveParties(ctx context.Context, ps []Party) error

	// Every write above that stores something also records it in its
	// conference's order of changes, in the same transaction: the party
	// gets the next position (Party.Seq; a batch one each, in the batch's
	// order) and a Change is kept for ChangeRetention. Changes older than
	// that are forgotten at the conference's next write, which raises the
	// Horizon of its Log.

	// ChangeLog returns the state of the conference's order of changes,
	// read at one moment: its epoch, last position, horizon and the
	// tombstones after the horizon. A conference never written has the
	// zero Log.
	ChangeLog(ctx context.Context, conferenceID string) (Log, error)

	// Changes returns the recorded changes of the conference after
	// position after, by position: at most limit of them (every one for
	// limit <= 0). Changes at or below the Log's Horizon are forgotten.
	Changes(ctx context.Context, conferenceID string, after int64, limit int) ([]Change, error)
}

// Revisioner is implemented by stores that can tell cheaply whether a
// conference's parties changed, so read caches can poll instead of reloading.
// The revision is an opaque string that differs after any write to any party
// of the conference (creation, update, cancellation).
type Revisioner interface {
	Revision(ctx context.Context, conferenceID string) (string, error)
}
