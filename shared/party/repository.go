package party

import "context"

// Limits of one SaveParties batch, which is written atomically. Every store
// enforces the same limits, so a batch that works locally also works in
// production.
//
// Firestore used to commit at most 500 writes at once; since March 2023 a
// commit or transaction may hold any number of writes, and what remains is
// the 10 MiB request size (and the 270 s transaction time). So a
// conference of more than 500 parties is still imported in one
// transaction: readers see all of it or none of it, never half an import.
// MaxBatch (four times the largest conference week we know) bounds the
// transaction's reads, and MaxBatchBytes keeps the request well under
// 10 MiB whatever the parties' descriptions hold.
const (
	MaxBatch      = 2000
	MaxBatchBytes = 8 << 20
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

	// SaveParties writes a batch atomically: all of it or none of it. A party
	// with Version 1 must not exist yet; any other party must be stored with
	// Version-1 (optimistic concurrency), else the whole batch fails with
	// Conflict. Callers set versions and timestamps; the store keeps them.
	// Invalid if a party breaks an invariant, an id appears twice, a party
	// would move to another conference or the batch is longer than MaxBatch.
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
