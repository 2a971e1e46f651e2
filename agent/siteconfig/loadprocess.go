package siteconfig

// ProcessReport is CheckReport for `edgetag process`, which runs only the
// tag engine: a file that holds a tag_processor block and no source (what a
// UMH user pastes to try a block) is valid for it. Every other problem is
// reported as check reports it; the files the site names (certificates,
// credentials) are not needed offline and not looked at.
func ProcessReport(path string, lookupEnv func(string) (string, bool)) CheckResult {
	return checkReport(path, lookupEnv, true)
}
