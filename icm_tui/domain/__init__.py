"""Pure Python domain: records, lifecycle rules, loaders, reports. Never imports textual or tinydb."""
