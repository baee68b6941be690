def test_deploy_creates_function_behind_alias(moto, project):
    project.write_hello_service()
    result = project.fn("deploy", "--yes")
    assert result.exit_code == 0, result.stderr
    alias = moto.client("lambda").get_alias(FunctionName="demo-dev-hello", Name="live")
    assert alias["FunctionVersion"] == "1"
