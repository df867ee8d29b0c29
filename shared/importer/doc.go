// Package importer brings organiser spreadsheets and Partyfinder's own party
// exports into a conference: it parses CSV or JSON (Parse), repairs what
// real-world sheets get wrong and decides what to write (Prepare), and
// writes it in one batch of any size (Importer.Run): atomically in SQLite,
// in resumable steps in Firestore (docs/adr/0006-imports-of-any-size.md).
//
// Every input row ends up in the report as accepted, accepted with warnings
// (each repair is named) or rejected with reasons; none is dropped silently.
// Importing the same file twice writes nothing the second time.
package importer
