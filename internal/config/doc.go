// Package config loads parityproof's YAML configuration strictly: an
// unknown field, a pair naming a missing store, a bad URL or size is an
// error naming the file, the line, the field and what is wrong. Every
// problem in a file is reported at once.
package config
