// Package serve is basin serve: the app over SSH (Charm's wish), one app
// per session on data loaded once, in the colours the client's terminal
// announces. It decides who gets in (authorized_keys with from=,
// expiry-time=, no-pty and restrict honoured, re-read when the file
// changes), bounds what strangers can hold before they log in (a
// handshake timeout, caps on unauthenticated connections), forwards
// window sizes coalesced and clamped, and gives each session a scratch
// folder for what it writes while it reads only the run folders.
//
//	connection → preAuth (limits) → public-key check (keyring)
//	    → session: app.New on the session's pty → app.Model.Serve(shared)
package serve
