package orderflow_test

import (
	"os"
	"strings"
	"testing"
)

// The README's quick start is Example_quickStart, word for word, so that
// the code a newcomer copies compiles.
func TestREADMEQuickStartIsAnExample(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	example, err := os.ReadFile("example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(readme), "## Quick start")
	if !ok {
		t.Fatal("README.md has no Quick start section")
	}
	_, code, ok := strings.Cut(after, "```go\n")
	if !ok {
		t.Fatal("the Quick start section has no Go code block")
	}
	code, _, _ = strings.Cut(code, "```")
	if !strings.Contains(code, "func Example_quickStart()") {
		t.Fatal("the README's quick start is not Example_quickStart")
	}
	if !strings.Contains(string(example), code) {
		t.Fatal("the README's quick start differs from Example_quickStart in example_test.go: copy one to the other")
	}
	if n := strings.Count(string(readme), "\n"); n > 250 {
		t.Errorf("README.md has %d lines; a newcomer's README stays within 250", n)
	}
}
