package config

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

var sizeRE = regexp.MustCompile(`^([0-9]+(?:\.[0-9]+)?)\s*([KMGTP]i?B|B)?$`)

// ParseSize parses a byte size: a number with an optional unit, decimal
// (KB, MB, GB, TB, PB) or binary (KiB, MiB, GiB, TiB, PiB).
func ParseSize(s string) (int64, error) {
	m := sizeRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, fmt.Errorf("%q is not a size (a number of bytes, or with a unit such as 500MB or 1GiB)", s)
	}
	mult := 1.0
	if unit := m[2]; unit != "" && unit != "B" {
		base := 1000.0
		if strings.Contains(unit, "i") {
			base = 1024
		}
		mult = base
		for _, u := range "KMGTP" {
			if rune(unit[0]) == u {
				break
			}
			mult *= base
		}
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a size: %w", s, err)
	}
	total := v * mult
	if total > 1<<62 {
		return 0, fmt.Errorf("%q is too large", s)
	}
	if total != float64(int64(total)) {
		return 0, fmt.Errorf("%q is not a whole number of bytes", s)
	}
	return int64(total), nil
}
