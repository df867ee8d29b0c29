package blackbox_test

// TestREADME runs the shell examples of README.md, top to bottom, against
// a fresh local runner with the demo data, the way a newcomer pastes them.
// The conventions the README follows for it:
//
//   - Every ```sh block is run, each in its own bash with
//     `set -euo pipefail`, so a variable used before it is defined, a
//     failing command or a failing part of a pipeline fails the test.
//   - The block after a line `<!-- setup -->` is the setup block (it sets
//     B=${B:-http://localhost:8080}); it runs before every later block, so
//     each example needs only it. The test sets B to its runner just
//     before the setup block, and nowhere else: a block that uses $B
//     without the setup block before it fails under set -u.
//   - A ```sh block right after a line `<!-- not run: REASON -->` is not
//     run (cloud deploys, commands that start servers on fixed ports); the
//     reason is required. Output shown as a transcript uses ```console.
//     ```bash and ```shell fences are refused, so that no shell example
//     escapes the test by its fence's spelling.
//   - curl is a shell function for the run: it records each call's status,
//     and the test fails on a call that does not answer 2xx unless its
//     command's trailing comment names the status (`... # 409 a duplicate`,
//     `# 304`). A curl whose URL is not on the runner is refused (examples
//     talk to the runner only, and the test to nothing but loopback);
//     gcloud, gsutil, firebase and npx are stubs that fail. A body cut
//     short by its reader (`curl … | head`) is no failure, as at a prompt.
//   - A block may not leave a process running, and may take 2 minutes.
//   - After the last block the default feed must still be the demo week.
//
// The blocks run in a temporary directory (files they write stay there)
// with HOME there too and an environment of PATH and LANG only.

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/partyfinder/partyfinder/shared/demo"
	"github.com/partyfinder/partyfinder/shared/testenv"
)

// readmeBlock is one ```sh block of the README.
type readmeBlock struct {
	line   int      // the README line of its first command line
	lines  []string // its text, the fence's indentation removed
	setup  bool     // marked <!-- setup -->
	notRun string   // the reason given by <!-- not run: … -->, if any
}

var (
	fenceOpen     = regexp.MustCompile("^(\\s*)```\\s*([A-Za-z0-9_+-]*)\\s*$")
	notRunMarker  = regexp.MustCompile(`^\s*<!--\s*not run:\s*(.*?)\s*-->\s*$`)
	setupMarker   = regexp.MustCompile(`^\s*<!--\s*setup\s*-->\s*$`)
	statusInText  = regexp.MustCompile(`\b[1-5][0-9][0-9]\b`)
	refusedFences = map[string]bool{"bash": true, "shell": true, "zsh": true}
)

// readmeBlocks returns the ```sh blocks of the README text.
func readmeBlocks(text string) ([]readmeBlock, error) {
	var blocks []readmeBlock
	lines := strings.Split(text, "\n")
	prev := "" // the last non-blank line before a fence
	for i := 0; i < len(lines); i++ {
		m := fenceOpen.FindStringSubmatch(lines[i])
		if m == nil {
			if strings.TrimSpace(lines[i]) != "" {
				prev = lines[i]
			}
			continue
		}
		indent, lang := m[1], m[2]
		if refusedFences[lang] {
			return nil, fmt.Errorf("README.md:%d: a ```%s block: write shell examples as ```sh (run by this test, or marked <!-- not run: why -->) or ```console", i+1, lang)
		}
		start := i + 1
		var body []string
		for i++; i < len(lines) && strings.TrimSpace(lines[i]) != "```"; i++ {
			body = append(body, strings.TrimPrefix(lines[i], indent))
		}
		if i == len(lines) {
			return nil, fmt.Errorf("README.md:%d: a fence that is never closed", start)
		}
		if lang != "sh" {
			prev = ""
			continue
		}
		b := readmeBlock{line: start + 1, lines: body, setup: setupMarker.MatchString(prev)}
		if n := notRunMarker.FindStringSubmatch(prev); n != nil {
			if n[1] == "" {
				return nil, fmt.Errorf("README.md:%d: <!-- not run: --> without a reason", start-1)
			}
			b.notRun = n[1]
		}
		blocks = append(blocks, b)
		prev = ""
	}
	return blocks, nil
}

// announced maps each line of a block (1-based) to the statuses its
// command announces in trailing comments. A command spans the lines joined
// by a trailing backslash or by an open quote, and bash may report any of
// them as the line of a call, so each of those lines gets the statuses of
// the whole command.
func announced(lines []string) map[int][]int {
	out := map[int][]int{}
	var cmd []int // the lines of the command being read
	var statuses []int
	quote := byte(0)
	for i, l := range lines {
		cmd = append(cmd, i+1)
		comment := ""
		quote, comment = scanShellLine(l, quote)
		for _, s := range statusInText.FindAllString(comment, -1) {
			n, _ := strconv.Atoi(s)
			statuses = append(statuses, n)
		}
		if quote != 0 || (comment == "" && strings.HasSuffix(l, `\`)) {
			continue // the command goes on
		}
		for _, n := range cmd {
			out[n] = statuses
		}
		cmd, statuses = nil, nil
	}
	return out
}

// scanShellLine follows the shell's quotes through one line, starting in
// quote (0, a single or a double quote), and returns the quote open at its end and the
// text of a comment outside quotes (after a # that starts a word).
func scanShellLine(l string, quote byte) (byte, string) {
	for i := 0; i < len(l); i++ {
		c := l[i]
		switch {
		case quote == '\'':
			if c == '\'' {
				quote = 0
			}
		case c == '\\':
			i++ // an escaped character, in double quotes or none
		case quote == '"':
			if c == '"' {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '#' && (i == 0 || l[i-1] == ' ' || l[i-1] == '\t'):
			return 0, l[i+1:]
		}
	}
	return quote, ""
}

// readmePrelude defines curl for the blocks: the real curl, with each
// call's exit status and HTTP status appended to $README_LOG as
// "FILE LINE EXIT STATUS ARGS". A call naming no URL on the runner under
// test ($README_RUNNER, which the setup block's B defaults to) is refused,
// whatever a block set B to.
const readmePrelude = `
curl() {
  local file=${BASH_SOURCE[1]##*/} line=${BASH_LINENO[0]} arg onb=0
  for arg in "$@"; do
    if [[ "$arg" == "$README_RUNNER" || "$arg" == "$README_RUNNER/"* || "$arg" == "$README_RUNNER?"* ]]; then
      onb=1
    elif [[ "$arg" =~ ^[a-zA-Z]+:// || "$arg" =~ ^(localhost|[0-9]+(\.[0-9]+){3}|\[[0-9a-fA-F:]*\])(:[0-9]+)?(/|$) ]]; then
      printf '%s %s refused - %s\n' "$file" "$line" "${*//$'\n'/ }" >>"$README_LOG"
      echo "curl: $arg is not on the runner under test ($README_RUNNER)" >&2
      return 7
    fi
  done
  if ((!onb)); then
    printf '%s %s refused - %s\n' "$file" "$line" "${*//$'\n'/ }" >>"$README_LOG"
    echo "curl: no URL on the runner under test ($README_RUNNER)" >&2
    return 7
  fi
  local hdr rc=0 status
  hdr=$(mktemp "$README_TMP/headers.XXXXXX")
  command curl -D "$hdr" "$@" || rc=$?
  status=$(awk '/^HTTP\//{s=$2} END{print s}' "$hdr")
  rm -f "$hdr"
  printf '%s %s %s %s %s\n' "$file" "$line" "$rc" "${status:-000}" "${*//$'\n'/ }" >>"$README_LOG"
  case $rc in
  23 | 141) return 0 ;; # the reader stopped reading (| head): no failure at a prompt either
  esac
  return $rc
}
`

func TestREADME(t *testing.T) {
	skipOn(t, "the README's examples are for the local runner on SQLite, which the runner target runs", targetFirestore, targetFunctions)
	for _, tool := range []string{"bash", "curl", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			testenv.Need(t, tool+" is not installed (Debian: apt-get install "+tool+"; scripts/test installs it)")
		}
	}
	text, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks, err := readmeBlocks(string(text))
	if err != nil {
		t.Fatal(err)
	}

	tmp := t.TempDir()
	srv, err := startServer(filepath.Join(tmp, "pf.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.stop(); err != nil {
			t.Errorf("stopping the server: %v", err)
		}
		if t.Failed() {
			t.Logf("server output:\n%s", srv.output())
		}
	})
	work := filepath.Join(tmp, "work")
	if err := os.Mkdir(work, 0o700); err != nil {
		t.Fatal(err)
	}
	write := func(name string, lines []string) string {
		path := filepath.Join(tmp, name)
		if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	prelude := write("prelude.sh", []string{readmePrelude})
	stubs := filepath.Join(tmp, "stubs")
	if err := os.Mkdir(stubs, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, cloud := range []string{"gcloud", "gsutil", "firebase", "npx"} {
		stub := "#!/bin/sh\necho \"" + cloud + ": not in the README test: it reaches beyond this machine; mark its block <!-- not run: why -->\" >&2\nexit 1\n"
		if err := os.WriteFile(filepath.Join(stubs, cloud), []byte(stub), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	logPath := filepath.Join(tmp, "curl.log")

	var setup *readmeBlock
	setupFile := ""
	ran, calls := 0, 0
	for i := range blocks {
		b := &blocks[i]
		if b.notRun != "" {
			t.Logf("README.md:%d: not run: %s", b.line, b.notRun)
			continue
		}
		if b.setup {
			if setup != nil {
				t.Fatalf("README.md:%d: a second setup block (the first is at line %d)", b.line, setup.line)
			}
			if ran > 0 {
				t.Fatalf("README.md:%d: the setup block comes after examples it should set up", b.line)
			}
			setup = b
		}
		name := fmt.Sprintf("block%d.sh", i)
		path := write(name, b.lines)
		if setup == b {
			setupFile = path
		}
		script := "set -euo pipefail\nsource " + strconv.Quote(prelude) + "\n"
		switch {
		case setup == b:
			script += "B=$README_RUNNER\n"
		case setup != nil:
			script += "B=$README_RUNNER\nsource " + strconv.Quote(setupFile) + "\n"
		}
		script += "source " + strconv.Quote(path) + "\n"
		if err := os.WriteFile(logPath, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		out, left, runErr := runReadmeBlock(work, script, readmeEnv("README_RUNNER="+srv.base, "PATH="+stubs+":"+os.Getenv("PATH"), "HOME="+tmp, "README_LOG="+logPath, "README_TMP="+tmp))
		ran++
		failures := readmeCalls(t, logPath, name, b, &calls)
		if runErr != nil {
			failures = append(failures, fmt.Sprintf("the block failed (%v)", runErr))
		}
		if left {
			failures = append(failures, "the block left a process running (a server started with &?): mark it <!-- not run: why -->")
		}
		if len(failures) > 0 {
			t.Errorf("README.md:%d: the block does not run as pasted:\n  %s\nits output:\n%s", b.line, strings.Join(failures, "\n  "), clipOutput(out))
		}
	}
	if ran == 0 || calls == 0 {
		t.Fatalf("ran %d README blocks making %d curl calls: the README has no runnable examples?", ran, calls)
	}
	t.Logf("ran %d README blocks, %d curl calls", ran, calls)
	demoStaysDefault(t, srv.base)
}

// demoStaysDefault fails t unless the feed without a conference still
// serves the demo week from its first day: the examples write (parties,
// conferences, imports), and none may leave the demo a newcomer explores
// next in another state than it was.
func demoStaysDefault(t *testing.T, base string) {
	t.Helper()
	var feed struct {
		Meta struct {
			Conference string `json:"conference"`
		} `json:"meta"`
	}
	var days struct {
		Data []struct {
			Date string `json:"date"`
		} `json:"data"`
	}
	var conf struct {
		Data struct {
			FirstDay string `json:"firstDay"`
		} `json:"data"`
	}
	for path, into := range map[string]any{"/api/parties": &feed, "/api/party-days": &days, "/api/conferences/" + demo.ConferenceID: &conf} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		err = json.NewDecoder(resp.Body).Decode(into)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s after the README: %d, %v", path, resp.StatusCode, err)
		}
	}
	if feed.Meta.Conference != demo.ConferenceID {
		t.Errorf("after the README's examples the feed serves conference %q by default, not the demo (%q)", feed.Meta.Conference, demo.ConferenceID)
	}
	if len(days.Data) == 0 || days.Data[0].Date != conf.Data.FirstDay {
		t.Errorf("after the README's examples the default feed's days are %v, not starting on the demo's first day %s", days.Data, conf.Data.FirstDay)
	}
}

// readmeBlockLimit bounds one block's run: the examples are quick calls,
// so a block still running after it waits for something that never comes.
const readmeBlockLimit = 2 * time.Minute

// runReadmeBlock runs script with bash in dir, in a process group of its
// own, and returns its output, whether it left a process of that group
// running (ended now), and its error.
func runReadmeBlock(dir, script string, env []string) (out []byte, left bool, err error) {
	f, err := os.CreateTemp("", "readme-block-*.out")
	if err != nil {
		return nil, false, err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	ctx, cancel := context.WithTimeout(context.Background(), readmeBlockLimit)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "--noprofile", "--norc", "-c", script)
	cmd.Dir, cmd.Env = dir, env
	// A file, not a pipe: a process the block put in the background must
	// not keep the run waiting for its output.
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	err = cmd.Run()
	if ctx.Err() != nil {
		err = fmt.Errorf("still running after %v: %w", readmeBlockLimit, err)
	}
	if syscall.Kill(-cmd.Process.Pid, 0) == nil {
		left = true
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	out, rerr := os.ReadFile(f.Name())
	if rerr != nil && err == nil {
		err = rerr
	}
	return out, left, err
}

// readmeCalls reads the curl log of one block and returns its failures:
// refused calls, calls curl could not make, unannounced statuses.
func readmeCalls(t *testing.T, logPath, name string, b *readmeBlock, calls *int) []string {
	t.Helper()
	f, err := os.Open(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ann := announced(b.lines)
	var failures []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		fields := strings.SplitN(sc.Text(), " ", 5)
		if len(fields) < 5 {
			t.Fatalf("a curl log line that does not parse: %q", sc.Text())
		}
		file, lineNo, exit, status, args := fields[0], fields[1], fields[2], fields[3], fields[4]
		n, _ := strconv.Atoi(lineNo)
		where := "the setup block"
		if file == name {
			where = fmt.Sprintf("README.md:%d", b.line+n-1)
		}
		*calls++
		if exit == "refused" {
			failures = append(failures, fmt.Sprintf("%s: curl %s: names no URL on $B, the runner", where, args))
			continue
		}
		if exit != "0" && exit != "23" && exit != "141" {
			failures = append(failures, fmt.Sprintf("%s: curl %s: curl exited %s (status %s)", where, args, exit, status))
			continue
		}
		code, _ := strconv.Atoi(status)
		if code >= 200 && code < 300 {
			continue
		}
		if file == name && containsInt(ann[n], code) {
			continue
		}
		failures = append(failures, fmt.Sprintf("%s: curl %s: answered %s, which the line does not announce (a trailing comment like # %s)", where, args, status, status))
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return failures
}

func containsInt(xs []int, x int) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// readmeEnv is the environment of the blocks: only what finds the tools
// and keeps their output readable, so that a variable an example uses
// before defining it fails under set -u whatever this process has set.
func readmeEnv(add ...string) []string {
	env := append([]string{"LANG=C.UTF-8"}, add...)
	for _, k := range []string{"TMPDIR"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return env
}

func clipOutput(b []byte) string {
	const limit = 8 << 10
	if len(b) > limit {
		return string(b[:limit/2]) + "\n…\n" + string(b[len(b)-limit/2:])
	}
	return string(b)
}

func TestREADMEAnnouncedStatuses(t *testing.T) {
	for _, tc := range []struct {
		name  string
		lines []string
		want  map[int][]int
	}{
		{"none", []string{`curl -s $B/api/parties | jq .meta`}, map[int][]int{1: nil}},
		{"trailing comment", []string{`curl -s -o /dev/null -w '%{http_code}\n' $B/x   # 304`}, map[int][]int{1: {304}}},
		{"several, in words", []string{`curl -s -XPUT $B/x   # 201 saved (200 if it was)`}, map[int][]int{1: {201, 200}}},
		{"a # inside quotes is no comment", []string{`curl -s "$B/x#409" -d '# 412'`}, map[int][]int{1: nil}},
		{"continued lines share the comment", []string{`curl -s -XPOST $B/x \`, `  -d '{}'   # 409`}, map[int][]int{1: {409}, 2: {409}}},
		{"a quote open across lines", []string{`curl -s $B/x -d "{`, `  \"a\":1}"   # 422`, `echo done`}, map[int][]int{1: {422}, 2: {422}, 3: nil}},
		{"a comment line announces nothing for the next", []string{`# 404 below`, `curl -s $B/x`}, map[int][]int{1: {404}, 2: nil}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := announced(tc.lines)
			for line, want := range tc.want {
				if fmt.Sprint(got[line]) != fmt.Sprint(want) {
					t.Errorf("line %d: announced %v, want %v", line, got[line], want)
				}
			}
		})
	}
}

func TestREADMEBlockMarkers(t *testing.T) {
	text := "intro\n<!-- not run: needs a project -->\n```sh\ngcloud x\n```\n<!-- setup -->\n```sh\nB=${B:-x}\n```\n" +
		"- item\n\n  ```sh\n  curl -s $B/y\n  ```\n```json\n{}\n```\n```console\n$ ls\n```\n"
	blocks, err := readmeBlocks(text)
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprintf("%+v", blocks)
	want := "[{line:4 lines:[gcloud x] setup:false notRun:needs a project} {line:8 lines:[B=${B:-x}] setup:true notRun:} {line:13 lines:[curl -s $B/y] setup:false notRun:}]"
	if got != want {
		t.Errorf("blocks:\n got %s\nwant %s", got, want)
	}
	for _, bad := range []string{"```bash\nls\n```\n", "<!-- not run: -->\n```sh\nls\n```\n", "```sh\nls\n"} {
		if _, err := readmeBlocks(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}
