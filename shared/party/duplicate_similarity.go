package party

import (
	"math/bits"
	"unicode/utf8"
)

// textSimilarity compares two word lists with a soft Dice coefficient:
// twice the matched weight over the number of words on both sides, where a
// pair of equal words weighs 1 and a pair with a typo weighs its wordSimilarity.
// Words are paired one to one, equal ones first, then each remaining word
// with its closest remaining partner. Word sets rather than one edit
// distance over the whole string because submitters reorder and add words
// ("Koelnmesse Halle 7", "Halle 7, Koelnmesse"), and because then a number
// counts as a whole word: one edit between "Hall 7" and "Hall 8" would look
// like a typo to a character measure. Empty text is similar to nothing.
func textSimilarity(a, b []string) float64 {
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	var bufA, bufB [16]bool
	usedA, usedB := flags(bufA[:], len(a)), flags(bufB[:], len(b))
	matched := 0.0
	for i, w := range a {
		for j, v := range b {
			if !usedB[j] && v == w {
				usedA[i], usedB[j] = true, true
				matched++
				break
			}
		}
	}
	for i, w := range a {
		if usedA[i] {
			continue
		}
		best, bestJ := 0.0, -1
		for j, v := range b {
			if !usedB[j] {
				if s := wordSimilarity(w, v); s > best {
					best, bestJ = s, j
				}
			}
		}
		if bestJ >= 0 {
			usedB[bestJ] = true
			matched += best
		}
	}
	return 2 * matched / float64(len(a)+len(b))
}

// flags returns n false flags, in buf when it is long enough.
func flags(buf []bool, n int) []bool {
	if n > len(buf) {
		return make([]bool, n)
	}
	clear(buf[:n])
	return buf[:n]
}

// wordSimilarity scores two different words: 1 - edits/length of the longer
// when they are within the typos allowed for their length, else 0. Allowed
// are no typo up to 3 letters ("bar" and "bax" are two words), one up to 7
// and two from 8 letters on; edits are insertions, deletions, substitutions
// and swaps of neighbours (optimal string alignment distance), the typos
// people make. Words with a digit never match another: a house number, a
// hall or a year that differs is a different place or party.
func wordSimilarity(a, b string) float64 {
	la, digitA, asciiA := letters(a)
	lb, digitB, asciiB := letters(b)
	if digitA || digitB {
		return 0
	}
	if !asciiA || !asciiB {
		return typoSimilarity([]rune(a), []rune(b))
	}
	// An edit adds or removes at most one letter of the words' letter sets
	// and a substitution swaps one for another, so words whose sets differ
	// in more than 4 letters are more than 2 edits apart: most pairs of
	// different words end here, before the distance.
	if bits.OnesCount32(la^lb) > 4 {
		return 0
	}
	return typoSimilarity([]byte(a), []byte(b))
}

// letters returns the set of ASCII letters in w as bits, and whether w has
// a digit and is all ASCII.
func letters(w string) (set uint32, digit, ascii bool) {
	ascii = true
	for i := 0; i < len(w); i++ {
		switch c := w[i]; {
		case 'a' <= c && c <= 'z':
			set |= 1 << (c - 'a')
		case isDigit(c):
			digit = true
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return set, digit, ascii
}

func typoSimilarity[E byte | rune](a, b []E) float64 {
	n := max(len(a), len(b))
	allowed := 0
	switch {
	case n >= 8:
		allowed = 2
	case n >= 4:
		allowed = 1
	}
	if allowed == 0 || max(len(a)-len(b), len(b)-len(a)) > allowed {
		return 0
	}
	d := editDistance(a, b, allowed)
	if d > allowed {
		return 0
	}
	return 1 - float64(d)/float64(n)
}

func ascii(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// editDistance is the optimal string alignment distance of a and b:
// Levenshtein's insertions, deletions and substitutions plus swaps of two
// neighbouring letters, each costing one. Past limit it stops early and
// returns limit+1: most pairs of words differ in their first letters, and
// once two consecutive rows exceed the limit, no later row can come back
// under it.
func editDistance[E byte | rune](a, b []E, limit int) int {
	var buf [3 * 33]int
	cols := len(b) + 1
	var rows []int
	if 3*cols <= len(buf) {
		rows = buf[:3*cols]
	} else {
		rows = make([]int, 3*cols)
	}
	prev2, prev, cur := rows[:cols], rows[cols:2*cols], rows[2*cols:]
	for j := range prev {
		prev[j] = j
	}
	prevMin := 0
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		curMin := i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
			curMin = min(curMin, cur[j])
		}
		if curMin > limit && prevMin > limit {
			return limit + 1
		}
		prev2, prev, cur = prev, cur, prev2
		prevMin = curMin
	}
	return min(prev[len(b)], limit+1)
}
