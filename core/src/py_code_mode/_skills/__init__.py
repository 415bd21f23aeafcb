"""Skills: reusable Python functions an agent saved, found by search, composable."""
