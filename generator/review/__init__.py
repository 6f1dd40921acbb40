"""The review loop: what a spec change means (`aicost diff`) and what an alert reads (`aicost explain`)."""
