"""Tests of the run explorer (`agentlog._explorer`) and the `agentlog` command."""
