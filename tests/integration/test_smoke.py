from tests.conftest import HELLO_HANDLER


def test_deploy_creates_function_behind_alias(moto, project):
    project.write("handler.py", HELLO_HANDLER)
    project.write(
        "serverless.yml",
        """\
        service: demo
        provider:
          name: aws
        functions:
          hello:
            handler: handler.hello
        """,
    )
    result = project.fn("deploy", "--yes")
    assert result.exit_code == 0, result.stderr
    alias = moto.client("lambda").get_alias(FunctionName="demo-dev-hello", Name="live")
    assert alias["FunctionVersion"] == "1"
