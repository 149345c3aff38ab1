# Tests of the bundle parts (reco_serve_engine): entity tables and the feature plan on a tiny
# hand-made dataset. The whole pipeline (bundle build/check/score/recommend) is tested through
# the binary in tests/cli/cli_serve_test.cc.
reco_add_test(reco_serve_engine_test SOURCES entity_table_test.cc feature_plan_test.cc
  DEPS reco_serve_engine LABELS serve)
