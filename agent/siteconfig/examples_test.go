package siteconfig

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/edgetag/edgetag/opcua/sim"
)

// exampleEnv supplies the variables the examples and the reference use.
var exampleEnv = env(map[string]string{
	"S7_USER":  "edgetag",
	"S7_PASS":  "s7-secret",
	"KEP_USER": "edgetag",
	"KEP_PASS": "kep-secret",
	"OPC_PASS": "opc-secret",
	"OPC_USER": "operator",
})

// siteFiles lists every example in configs/ and the reference config.
func siteFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "..", "configs", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 5 {
		t.Fatalf("found %d examples in configs/, want at least 5", len(files))
	}
	return append(files, "reference.yaml")
}

func TestExamplesParse(t *testing.T) {
	t.Parallel()
	for _, file := range siteFiles(t) {
		t.Run(filepath.Base(file), func(t *testing.T) {
			t.Parallel()
			cfg, err := Load(file, exampleEnv)
			if err != nil {
				t.Fatalf("%v", err)
			}
			if len(cfg.Sources) == 0 {
				t.Errorf("no sources")
			}
		})
	}
}

func TestExamplesCheck(t *testing.T) {
	t.Parallel()
	for _, file := range siteFiles(t) {
		t.Run(filepath.Base(file), func(t *testing.T) {
			t.Parallel()
			if errs := Check(file, exampleEnv); len(errs) > 0 {
				for _, e := range errs {
					t.Error(e)
				}
			}
		})
	}
}

// TestExamplesNeedTheirVariables shows that a missing secret is reported,
// not silently replaced by an empty string.
func TestExamplesNeedTheirVariables(t *testing.T) {
	t.Parallel()
	_, err := Load(filepath.Join("..", "..", "configs", "siemens-s7-1500.yaml"), noEnv)
	checkErrors(t, err, []want{{"22", "", "missing environment variables S7_USER (line 22), S7_PASS (line 22)"}})
}

// TestDemo pins what the README promises of the demo.
func TestDemo(t *testing.T) {
	t.Parallel()
	cfg, err := Load(filepath.Join("..", "..", "configs", "demo.yaml"), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Simulator == nil || cfg.Simulator.Listen != "127.0.0.1:4840" || len(cfg.Sources) != 1 ||
		cfg.Sources[0].Endpoint != "opc.tcp://127.0.0.1:4840" || cfg.Sources[0].Nodes[0].ID != "nsu="+sim.NamespaceURI+";s=Plant" ||
		cfg.NATS.URL != "" || !cfg.NATS.JetStream.Enabled {
		t.Errorf("demo config %+v", cfg)
	}
}

// TestReferenceShowsTheDefaults parses the reference config, whose values
// are all the defaults, and compares it with a file that sets only what is
// required: they must be the same Config.
func TestReferenceShowsTheDefaults(t *testing.T) {
	t.Parallel()
	ref, err := Load("reference.yaml", exampleEnv)
	if err != nil {
		t.Fatal(err)
	}
	const bare = `sources:
  - name: press-line
    endpoint: opc.tcp://127.0.0.1:4840
    nodes:
      - id: ns=2;s=Line1
`
	def, err := Parse([]byte(bare), "reference.yaml", noEnv)
	if err != nil {
		t.Fatal(err)
	}
	wantSim := &sim.Config{Listen: sim.DefaultListen, Rate: sim.DefaultRate, CertDir: filepath.Join(DefaultStateDir, simCertSubdir)}
	if diff := cmp.Diff(wantSim, ref.Simulator); diff != "" {
		t.Errorf("reference simulator block is not the defaults (-want +got):\n%s", diff)
	}
	ref.Simulator = nil
	ignoreCode := cmpopts.IgnoreFields(Config{}, "Engine.Defaults.Code", "Engine.Defaults.Line", "Engine.AdvancedProcessing.Code", "Engine.AdvancedProcessing.Line")
	if diff := cmp.Diff(def, ref, cmpopts.EquateEmpty(), ignoreCode, ignoreStatusName); diff != "" {
		t.Errorf("reference.yaml does not show the defaults (-defaults +reference):\n%s", diff)
	}
}

// TestReferenceNamesEveryKey fails when a key of the site file is missing
// from the reference config.
func TestReferenceNamesEveryKey(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("reference.yaml")
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	var walk func(reflect.Type, string)
	walk = func(tp reflect.Type, path string) {
		for tp.Kind() == reflect.Pointer || tp.Kind() == reflect.Slice {
			tp = tp.Elem()
		}
		if tp.Kind() != reflect.Struct || tp == reflect.TypeFor[script]() {
			return
		}
		for _, f := range fieldsOf(tp) {
			if !strings.Contains(text, " "+f.name+":") && !strings.Contains(text, "\n"+f.name+":") && !strings.Contains(text, "{"+f.name+":") {
				t.Errorf("reference.yaml does not show %s", joinPath(path, f.name))
			}
			walk(tp.Field(f.index).Type, joinPath(path, f.name))
		}
	}
	walk(reflect.TypeFor[siteFile](), "")
}
