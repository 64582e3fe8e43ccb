from conftest import client


def test_moto_server_answers_ec2(aws_endpoint, boto_session):
    ec2 = client(boto_session, "ec2", aws_endpoint)
    zones = ec2.describe_availability_zones()["AvailabilityZones"]
    assert {z["ZoneName"] for z in zones} >= {"us-east-1a", "us-east-1b"}
