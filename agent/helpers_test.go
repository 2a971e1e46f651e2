package agent

// noEnv is a lookup function that finds nothing.
func noEnv(string) (string, bool) { return "", false }

// minimal is the smallest valid site file; tests append to it.
const minimal = `sources:
  - name: plc
    endpoint: opc.tcp://127.0.0.1:4840
    nodes:
      - id: ns=2;s=Line1
`
