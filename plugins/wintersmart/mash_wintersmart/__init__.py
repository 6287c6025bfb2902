"""WinterSMART: intelligent winter service — road sensors, ice-risk warnings, grit bins, depots."""
