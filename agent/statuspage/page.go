package statuspage

import (
	"embed"
	"encoding/json"
	"io/fs"
	"net/http"
	"strconv"
)

//go:embed static
var static embed.FS

// DefaultLimit and MaxLimit bound the values /api/values returns.
const (
	DefaultLimit = 500
	MaxLimit     = 5000
)

// Page is the status page: the latest values and their live updates.
type Page struct {
	Table *Table
	Hub   *Hub
}

// New returns a page keeping at most maxSubjects latest values.
func New(maxSubjects int, cfg HubConfig) *Page {
	t := NewTable(maxSubjects)
	return &Page{Table: t, Hub: NewHub(t, cfg)}
}

// Register adds the page's routes to mux, all read-only (GET):
//
//	/            the page
//	/static/     its scripts and styles
//	/api/values  latest values (?q= search, ?limit=), JSON
//	/events      their changes, server-sent events (?q= search)
//
// The page reads the rest of what it shows from /api/status, which the
// caller serves.
func (p *Page) Register(mux *http.ServeMux) {
	sub, _ := fs.Sub(static, "static") // the directory is embedded: cannot fail
	files := http.FileServerFS(sub)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		p.Table.Watch()
		w.Header().Set("Cache-Control", "no-store")
		http.ServeFileFS(w, r, sub, "index.html")
	})
	mux.Handle("GET /static/", http.StripPrefix("/static/", files))
	mux.HandleFunc("GET /api/values", func(w http.ResponseWriter, r *http.Request) {
		p.Table.Watch()
		p.serveValues(w, r)
	})
	mux.HandleFunc("GET /events", func(w http.ResponseWriter, r *http.Request) {
		p.Table.Watch()
		p.Hub.ServeEvents(w, r)
	})
}

// valuesReply is the body of /api/values.
type valuesReply struct {
	Values  []Value `json:"values"`
	Matched int     `json:"matched"` // subjects matching the query, shown or not
	Kept    int     `json:"kept"`    // subjects in the table
	Max     int     `json:"max"`     // subjects the table keeps at most
	NotKept uint64  `json:"not_kept"`
}

func (p *Page) serveValues(w http.ResponseWriter, r *http.Request) {
	limit := DefaultLimit
	if s := r.URL.Query().Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			http.Error(w, "limit: want a positive number", http.StatusBadRequest)
			return
		}
		limit = min(n, MaxLimit)
	}
	values, matched := p.Table.Search(r.URL.Query().Get("q"), limit)
	if values == nil {
		values = []Value{}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(valuesReply{Values: values, Matched: matched, Kept: p.Table.Len(), Max: p.Table.Max(), NotKept: p.Table.NotKept()})
}
