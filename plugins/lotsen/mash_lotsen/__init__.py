"""Digital-Lotsen: staff in every city office who help colleagues and citizens go digital."""
