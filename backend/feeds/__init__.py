"""Department feeds (DOMAIN §7): the monthly CSV/XLSX exports of 医保, 民政, 教育 … read into
staging rows, matched to persons by the ID-number blind index, and turned into alerts."""
