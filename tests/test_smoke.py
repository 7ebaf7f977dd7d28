def test_home_lists_sites(client, make):
    make.site("bochum", name="Stadtlabor Bochum")
    response = client.get("/")
    assert response.status_code == 200
    assert "Stadtlabor Bochum" in response.get_data(as_text=True)
