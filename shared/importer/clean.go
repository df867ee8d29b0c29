package importer

import (
	"fmt"
	"html"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/partyfinder/partyfinder/shared/party"
)

// issue is one observation about a row: a repair that was made (warning) or
// a reason the row cannot become a party (error). Code groups issues of a
// kind for summaries; Text is what people read.
type issue struct {
	Code string
	Text string
}

func issuef(code, field, format string, args ...any) issue {
	msg := fmt.Sprintf(format, echoes(format, args)...)
	if field != "" {
		msg = field + ": " + msg
	}
	return issue{Code: code, Text: msg}
}

// maxEcho is how many characters of a cell a report quotes: enough to
// recognise the cell, while a hostile one cannot bloat the report.
const maxEcho = 80

// shorten cuts s to maxEcho characters, the last being an ellipsis.
func shorten(s string) string {
	t, _ := truncate(s, maxEcho)
	return t
}

// echoes returns args with every string that format quotes (%q), which is
// how issues quote cells, shortened.
func echoes(format string, args []any) []any {
	out := append([]any(nil), args...)
	k := 0
	for i := 0; i < len(format) && k < len(out); i++ {
		if format[i] != '%' {
			continue
		}
		i++
		for i < len(format) && strings.IndexByte("+-# 0123456789.", format[i]) >= 0 {
			i++
		}
		if i >= len(format) || format[i] == '%' {
			continue
		}
		if s, ok := out[k].(string); ok && format[i] == 'q' {
			out[k] = shorten(s)
		}
		k++
	}
	return out
}

// Warning codes, used to summarise what an import had to repair.
const (
	codePlaceholder   = "placeholder"
	codeEncoding      = "encoding"
	codeEncodingLeft  = "encoding-suspect"
	codeEntity        = "html-entity"
	codeStreet        = "street-spelling"
	codeLinkScheme    = "link-scheme"
	codeLinkDropped   = "link-dropped"
	codeClockFormat   = "clock-format"
	codeMidnight      = "end-midnight"
	codeLongNight     = "end-next-day"
	codeEndDropped    = "end-dropped"
	codeTimeMismatch  = "time-mismatch"
	codeWeekday       = "weekday-mismatch"
	codeOutsideDays   = "outside-conference"
	codeLikelyDup     = "likely-duplicate"
	codeInactive      = "inactive"
	codeTruncated     = "truncated"
	codeLocation      = "location-dropped"
	codeStatus        = "status"
	codeNoOffset      = "no-offset"
	codeIDDerived     = "id-derived"
	codeDuration      = "end-from-duration"
	codeActiveUnknown = "active-unknown"
	codeReading       = "reading"
	codeControl       = "control-characters"
	codeLong          = "unusually-long"
)

// placeholders are values organisers type for "nothing here yet". They are
// compared after trimming and lower-casing.
var placeholders = map[string]bool{
	"(empty)": true, "empty": true, "[empty]": true, "<empty>": true,
	"n/a": true, "n.a.": true, "#n/a": true, "(n/a)": true,
	"tba": true, "tbd": true, "t.b.a.": true, "t.b.d.": true, "tbc": true,
	"-": true, "--": true, "---": true, "–": true, "—": true,
	"none": true, "(none)": true, "null": true, "nil": true, "undefined": true,
	"?": true, "??": true, "???": true,
}

// isPlaceholder reports whether s, trimmed, only says that a value is missing.
func isPlaceholder(s string) bool {
	return placeholders[strings.ToLower(strings.TrimSpace(s))]
}

// invisible characters that spreadsheets and web copies leave in cells.
var invisible = strings.NewReplacer("\u200b", "", "\u200c", "", "\u200d", "", "\ufeff", "", "\u00ad", "")

// cleanText repairs one free-text value: invisible characters go, a
// placeholder becomes empty, encoding damage and HTML entities are repaired
// when that is unambiguous, and control characters are removed. White
// space is left to party.New (CleanText), which normalises it silently
// because that changes no meaning. Every imported cell goes through here.
func cleanText(field, s string) (string, []issue) {
	s = invisible.Replace(s)
	if strings.TrimSpace(s) == "" {
		return "", nil
	}
	if isPlaceholder(s) {
		return "", []issue{issuef(codePlaceholder, field, "placeholder %q treated as empty", strings.TrimSpace(s))}
	}
	s, out := repairText(field, s)
	// Last, so that the C1 characters of text decoded as Latin-1 serve its
	// repair first, and escape sequences written as HTML entities go too.
	s, n := stripControls(s)
	if n > 0 {
		out = append(out, issuef(codeControl, field, "removed %d control character(s) or escape sequence(s)", n))
		if strings.TrimSpace(s) == "" {
			return "", out
		}
		if isPlaceholder(s) {
			return "", append(out, issuef(codePlaceholder, field, "placeholder %q treated as empty", strings.TrimSpace(s)))
		}
	}
	return s, out
}

// repairText undoes encoding damage and HTML entities when that is unambiguous.
func repairText(field, s string) (string, []issue) {
	var out []issue
	if fixed, ok := repairMojibake(s); ok {
		out = append(out, issuef(codeEncoding, field, "repaired encoding damage %q -> %q", party.CleanText(s), party.CleanText(fixed)))
		s = fixed
	} else if looksMojibake(s) {
		out = append(out, issuef(codeEncodingLeft, field, "%q looks damaged by a wrong text encoding; left as is", party.CleanText(s)))
	}
	if strings.Contains(s, "&") && strings.Contains(s, ";") {
		if un := html.UnescapeString(s); un != s {
			out = append(out, issuef(codeEntity, field, "decoded HTML entities %q -> %q", party.CleanText(s), party.CleanText(un)))
			s = un
		}
	}
	return s, out
}

// cp1252 maps the Windows-1252 characters of bytes 0x80-0x9F back to their
// byte. Latin-1 decoding gives the C1 control characters instead, which map
// to themselves.
var cp1252 = map[rune]byte{
	'€': 0x80, '‚': 0x82, 'ƒ': 0x83, '„': 0x84, '…': 0x85, '†': 0x86, '‡': 0x87,
	'ˆ': 0x88, '‰': 0x89, 'Š': 0x8A, '‹': 0x8B, 'Œ': 0x8C, 'Ž': 0x8E,
	'‘': 0x91, '’': 0x92, '“': 0x93, '”': 0x94, '•': 0x95, '–': 0x96, '—': 0x97,
	'˜': 0x98, '™': 0x99, 'š': 0x9A, '›': 0x9B, 'œ': 0x9C, 'ž': 0x9E, 'Ÿ': 0x9F,
}

// cp1252Runes is the reverse of cp1252: how Windows-1252 decodes 0x80-0x9F.
var cp1252Runes = func() map[byte]rune {
	m := make(map[byte]rune, len(cp1252))
	for r, b := range cp1252 {
		m[b] = r
	}
	return m
}()

// decodeCP1252 reads bytes as Windows-1252 (a superset of Latin-1 in
// practice), for files that are not UTF-8 at all.
func decodeCP1252(b []byte) string {
	var sb strings.Builder
	sb.Grow(len(b) + len(b)/8)
	for _, c := range b {
		switch {
		case c < 0x80:
			sb.WriteByte(c)
		case c < 0xA0:
			if r, ok := cp1252Runes[c]; ok {
				sb.WriteRune(r)
			} else {
				sb.WriteRune(rune(c))
			}
		default:
			sb.WriteRune(rune(c))
		}
	}
	return sb.String()
}

// unmojibake reverses one round of "UTF-8 bytes decoded as Windows-1252 or
// Latin-1". It fails when a character has no single-byte form or when the
// bytes are not valid UTF-8: then the text was not damaged that way (or only
// partly), and guessing would risk corrupting correct text such as "Köln".
func unmojibake(s string) (string, bool) {
	b := make([]byte, 0, len(s))
	multi := false
	for _, r := range s {
		switch {
		case r < 0x80:
			b = append(b, byte(r))
		case r < 0x100:
			b = append(b, byte(r))
			multi = true
		default:
			c, ok := cp1252[r]
			if !ok {
				return "", false
			}
			b = append(b, c)
			multi = true
		}
	}
	if !multi || !utf8.Valid(b) {
		return "", false
	}
	out := string(b)
	for _, r := range out {
		if r >= 0x80 && r < 0xA0 { // C1 controls never appear in real text
			return "", false
		}
	}
	return out, true
}

// repairMojibake undoes UTF-8 text that was decoded as Windows-1252 once or
// twice ("KÃ¶ln" -> "Köln", "â€“" -> "–"). It only repairs when every
// character of s takes part in a consistent reading.
func repairMojibake(s string) (string, bool) {
	if !looksMojibake(s) {
		return "", false
	}
	cur := s
	for range 3 {
		next, ok := unmojibake(cur)
		if !ok {
			break
		}
		cur = next
		if !looksMojibake(cur) {
			break
		}
	}
	return cur, cur != s
}

// mojibakeMarker matches the lead characters UTF-8 multi-byte sequences turn
// into when read as Windows-1252, followed by a continuation character.
var mojibakeMarker = regexp.MustCompile(`[ÂÃÄÅÆÇÈÉÊËÌÍÎÏÐÑÒÓÔÕÖ×ØÙÚÛÜÝÞßàáâãäåæçèéêëìíîïðñòóô][\x{80}-\x{BF}€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ]`)

// looksMojibake reports whether s contains a sequence typical of UTF-8 read
// as Windows-1252.
func looksMojibake(s string) bool { return mojibakeMarker.MatchString(s) }

// damagedStreet matches a German street name whose "ß" was lost on the way
// ("Straoe", "Straue", "Strabe", "MarzellenstraBe"); no real word ends that way.
var damagedStreet = regexp.MustCompile(`(?i)\b(\p{L}*stra)[oub]e\b`)

// repairStreet restores "ß" in damaged street names of an address or venue.
func repairStreet(field, s string) (string, []issue) {
	if !damagedStreet.MatchString(s) {
		return s, nil
	}
	var out []issue
	fixed := damagedStreet.ReplaceAllStringFunc(s, func(m string) string {
		r := damagedStreet.ReplaceAllString(m, "${1}ße")
		out = append(out, issuef(codeStreet, field, "read %q as %q", m, r))
		return r
	})
	return fixed, out
}

// cleanLink turns what organisers paste as a link into an http(s) URL, or
// drops it with a reason: a party without a link is still a party.
func cleanLink(s string) (string, []issue) {
	s, out := cleanText("link", s)
	s = strings.TrimSpace(s)
	if s == "" {
		return "", out
	}
	if strings.ContainsAny(s, " \t\n") {
		return "", append(out, issuef(codeLinkDropped, "link", "dropped %q: not a single URL", s))
	}
	if strings.HasPrefix(s, "//") {
		s = "https:" + s
		out = append(out, issuef(codeLinkScheme, "link", "added https: to %q", s[len("https:"):]))
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" || strings.Contains(u.Scheme, ".") {
		if looksLikeHost(s) {
			out = append(out, issuef(codeLinkScheme, "link", "added https:// to %q", s))
			s = "https://" + s
		} else {
			return "", append(out, issuef(codeLinkDropped, "link", "dropped %q: not a web address", s))
		}
	} else if u.Scheme != "http" && u.Scheme != "https" {
		return "", append(out, issuef(codeLinkDropped, "link", "dropped %q: only http and https links are kept", s))
	}
	if !party.ValidLink(s) {
		return "", append(out, issuef(codeLinkDropped, "link", "dropped %q: not a valid web address", s))
	}
	return s, out
}

var hostPattern = regexp.MustCompile(`^(?i)[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*\.[a-z]{2,}(?::\d+)?(?:[/?#].*)?$`)

// looksLikeHost reports whether s starts with a domain name ("lu.ma/x",
// "www.example.com"), so that adding https:// is a safe repair.
func looksLikeHost(s string) bool { return hostPattern.MatchString(s) }

// hostSeparator splits organiser-written host lists: "A, B", "A & B", "A x B".
var hostSeparator = regexp.MustCompile(`\s*(?:[,;&\n]|\s[xX×]\s)\s*`)

// splitHosts splits a free-text host list; party.New trims and de-duplicates.
func splitHosts(s string) []string {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	return hostSeparator.Split(s, -1)
}

// splitTags splits a comma- or semicolon-separated tag list.
func splitTags(s string) []string {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == '\n' })
}

// streetWord matches words that name streets and squares in the languages
// organisers write addresses in.
var streetWord = regexp.MustCompile(`(?i)(straße|strasse|str\.|\bstr\b|weg\b|platz\b|gasse\b|ring\b|allee\b|ufer\b|werft\b|damm\b|chaussee\b|markt\b|\bstreet\b|\bst\.|\broad\b|\brd\.|\bavenue\b|\bave\.|\blane\b|\bboulevard\b|\bblvd\b|\bsquare\b|\bplaza\b|\bplatz\b)`)

// nameNumber matches "Frankenwerft 35", "Im Mediapark 5", "Alter Markt 50-52".
var nameNumber = regexp.MustCompile(`^[\p{L}.' -]+\s\d+[a-zA-Z]?(?:\s?[-/]\s?\d+[a-zA-Z]?)?$`)

// postcode matches a bare postcode, optionally followed by a town.
var postcode = regexp.MustCompile(`^\d{4,5}(?:\s+\p{L}.*)?$`)

// notStreet are first words of venue parts that carry numbers: halls, booths.
var notStreet = map[string]bool{
	"hall": true, "halle": true, "booth": true, "stand": true, "room": true, "raum": true,
	"gate": true, "level": true, "floor": true, "stage": true, "pier": true, "terminal": true,
	"building": true, "gebäude": true, "gebaude": true, "suite": true, "studio": true,
}

// looksLikeStreet reports whether one comma part of an address is a street
// (or postcode) rather than the name of a venue.
func looksLikeStreet(s string) bool {
	s = strings.TrimSpace(s)
	if s == "" {
		return true
	}
	if s[0] >= '0' && s[0] <= '9' || postcode.MatchString(s) || streetWord.MatchString(s) {
		return true
	}
	if nameNumber.MatchString(s) {
		first := strings.ToLower(strings.Fields(s)[0])
		return !notStreet[first]
	}
	return false
}

// venueOf returns the venue named at the start of an address ("Rheinloft
// Cologne, Frankenwerft 35, ..." -> "Rheinloft Cologne"), or "" when the
// address starts with a street. It is a heuristic and never warns: a wrong
// guess only changes how the place is labelled, the address stays complete.
func venueOf(address string) string {
	first, _, _ := strings.Cut(address, ",")
	first = party.CleanText(first)
	if first == "" || looksLikeStreet(first) {
		return ""
	}
	return first
}

// truncate shortens s to at most n characters.
func truncate(s string, n int) (string, bool) {
	if utf8.RuneCountInString(s) <= n {
		return s, false
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:n-1])) + "…", true
}
